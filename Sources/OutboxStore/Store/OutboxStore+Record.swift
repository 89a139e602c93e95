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

    /// One all-or-nothing group inside a write transaction. A single update needs no savepoint
    /// (as on PostgreSQL): its first statement is the guarded UPDATE, and when its precondition
    /// fails nothing has been written; any later failure throws and rolls the whole transaction
    /// back. Several updates run in a savepoint, rolled back at the first precondition that fails.
    static func record(_ group: [CommandUpdate], worker: String?, now: EpochMillis, _ db: Database) throws -> Bool {
        if group.count == 1 { return try apply(group[0], worker: worker, now: now, db) }
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

    /// One update. The outbox row's whole change, precondition and next state included, is one
    /// guarded `UPDATE … RETURNING` (one row write, one run of the outbox's UPDATE triggers and
    /// one change to its partial indexes, instead of a guarded UPDATE and a second one for the
    /// next state: a drain profile put a sixth of the worker's CPU in recording). Then the
    /// attempt, the inbox outcome and the payment follow, only if that row was updated.
    private static func apply(_ update: CommandUpdate, worker: String?, now: EpochMillis, _ db: Database) throws
        -> Bool
    {
        var arguments: StatementArguments = [
            update.countsAsAttempt ? 1 : 0, update.paywallPaymentRequestId, update.acceptedAt, now,
        ]
        let nextSQL: String
        switch update.next {
        case .reschedule(let dueAt, let needsReconcile, let lastError):
            nextSQL = "state = 'pending', due_at = ?, needs_reconcile = ?, last_error = coalesce(?, last_error)"
            arguments += [dueAt, needsReconcile ? 1 : 0, lastError]
        case .finish(let outcome):
            nextSQL = """
                state = ?, finished_at = ?, needs_reconcile = 0,
                last_error = CASE WHEN ? = 'succeeded' THEN last_error ELSE coalesce(?, ?, last_error) END
                """
            arguments += [
                outcome.outcome.state.rawValue, now, outcome.outcome.rawValue, outcome.message, outcome.reason?.rawValue,
            ]
        }
        arguments += [update.commandID]
        let condition: String
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
        // SET expressions read the row as it was, so the precondition and `last_error`'s
        // fallbacks see the same values they saw when these were two statements.
        let found = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    UPDATE outbox
                       SET attempts = attempts + ?,
                           paywall_payment_request_id = coalesce(?, paywall_payment_request_id),
                           accepted_at = coalesce(?, accepted_at),
                           lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                           \(nextSQL)
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

        if case .finish(let outcome) = update.next {
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
