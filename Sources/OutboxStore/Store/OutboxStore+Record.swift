import GRDB
import OutboxModel

extension OutboxStore {
    /// Records a group of updates atomically (outbox state, attempt history and inbox row
    /// together). Returns false, changing nothing, when any update's precondition no longer
    /// holds (a lease was lost, a sale to revoke was claimed meanwhile).
    @discardableResult
    public func record(_ group: [CommandUpdate], worker: String?, now: EpochMillis) throws -> Bool {
        try recordEach([group], worker: worker, now: now)[0]
    }

    /// Records several independent groups in one transaction; each group is all-or-nothing.
    /// Returns, per group, whether it was applied.
    public func recordEach(_ groups: [[CommandUpdate]], worker: String?, now: EpochMillis) throws -> [Bool] {
        guard !groups.isEmpty else { return [] }
        return try write { db in
            try groups.map { group in try Self.record(group, worker: worker, now: now, db) }
        }
    }

    /// One all-or-nothing group inside a write transaction (its own savepoint).
    static func record(_ group: [CommandUpdate], worker: String?, now: EpochMillis, _ db: Database) throws -> Bool {
        var applied = false
        try db.inSavepoint {
            for update in group {
                guard try Self.apply(update, worker: worker, now: now, db) else { return .rollback }
            }
            applied = true
            return .commit
        }
        return applied
    }

    private static func apply(_ update: CommandUpdate, worker: String?, now: EpochMillis, _ db: Database) throws
        -> Bool
    {
        let condition: String
        var arguments: StatementArguments = [
            update.countsAsAttempt ? 1 : 0, update.paywallPaymentRequestId, update.acceptedAt, now, update.commandID,
        ]
        switch update.precondition {
        case .leasedBy(let owner):
            condition = "state = 'in_flight' AND lease_owner = ?"
            arguments += [owner]
        case .pendingUnleased:
            condition = "state = 'pending' AND lease_owner IS NULL"
        case .neverSent:
            condition =
                "state = 'pending' AND lease_owner IS NULL AND needs_reconcile = 0 AND paywall_payment_request_id IS NULL"
        case .pendingOrLeasedBy(let owner):
            condition = "((state = 'pending' AND lease_owner IS NULL) OR (state = 'in_flight' AND lease_owner = ?))"
            arguments += [owner]
        }
        let found = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    UPDATE outbox
                       SET attempts = attempts + ?,
                           paywall_payment_request_id = coalesce(?, paywall_payment_request_id),
                           accepted_at = coalesce(?, accepted_at),
                           lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                     WHERE id = ? AND \(condition)
                    RETURNING command_key, kind, generation
                    """),
            arguments: arguments)
        guard let found else { return false }
        var foundReader = SafeRowReader(found, columns: "command_key, kind, generation")
        let generation = foundReader.count(2, fallback: 1)

        if let attempt = update.attempt, attempt.request == .send {
            // The row markSending opened before the request left, completed with the answer.
            try db.cachedStatement(
                sql: """
                    UPDATE attempt SET started_at = ?, duration_ms = ?, http_status = ?, outcome = ?, error_code = ?,
                                       error = ?
                     WHERE outbox_id = ? AND request = 'send' AND outcome = 'sending' AND worker IS ?
                    """
            ).execute(arguments: [
                attempt.startedAt, attempt.durationMillis, attempt.httpStatus, attempt.outcome, attempt.errorCode,
                attempt.error, update.commandID, worker,
            ])
        }
        if let attempt = update.attempt, attempt.request != .send || db.changesCount == 0 {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempt (outbox_id, generation, worker, started_at, duration_ms, http_status, outcome,
                                         error_code, error, request)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                update.commandID, generation, worker, attempt.startedAt, attempt.durationMillis, attempt.httpStatus,
                attempt.outcome, attempt.errorCode, attempt.error, attempt.request.rawValue,
            ])
        }

        switch update.next {
        case .reschedule(let dueAt, let needsReconcile, let lastError):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'pending', due_at = ?, needs_reconcile = ?,
                                      last_error = coalesce(?, last_error), updated_at = ?
                     WHERE id = ?
                    """
            ).execute(arguments: [dueAt, needsReconcile ? 1 : 0, lastError, now, update.commandID])
        case .finish(let outcome):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = ?, finished_at = ?, needs_reconcile = 0,
                                      last_error = CASE WHEN ? = 'succeeded' THEN last_error
                                                        ELSE coalesce(?, ?, last_error) END
                     WHERE id = ?
                    """
            ).execute(arguments: [
                outcome.outcome.state.rawValue, now, outcome.outcome.rawValue, outcome.message, outcome.reason?.rawValue,
                update.commandID,
            ])
            try db.cachedStatement(
                sql: """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, reason, error_code,
                                       message, client_message, payment_request_id, payment_request_activity_id,
                                       terminal_pair_id, payment_status_id, result, raw_response, http_status,
                                       created_at)
                    VALUES (?, ?, ?, ?, 'outcome', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                update.commandID, found[0] as DatabaseValue, found[1] as DatabaseValue, generation, outcome.outcome.rawValue,
                outcome.reason?.rawValue, outcome.errorCode, outcome.message, outcome.clientMessage, outcome.paymentRequestId,
                outcome.paymentRequestActivityId, outcome.terminalPairId, outcome.paymentStatusId, outcome.result,
                outcome.rawResponse, outcome.httpStatus, now,
            ])
            if let follow = update.follow {
                try startFollow(follow, outboxId: update.commandID, generation: generation, now: now, db)
            }
        }
        return true
    }
}
