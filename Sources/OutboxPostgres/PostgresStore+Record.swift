import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

extension PostgresStore {
    /// All groups in one transaction, each in its own savepoint (all-or-nothing); the inbox lock
    /// first. A refused row aborts the whole transaction and is thrown (`rejected`): the caller
    /// records the groups one at a time to find it.
    public func recordEach(_ groups: [(updates: [CommandUpdate], now: EpochMillis)], worker: String?) async throws
        -> [Bool]
    {
        guard !groups.isEmpty else { return [] }
        let logger = logger
        let sendable = groups.map { RecordGroup(updates: $0.updates, now: $0.now) }
        return try await transaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            var applied: [Bool] = []
            for (index, group) in sendable.enumerated() {
                applied.append(
                    try await Self.recordGroup(
                        group.updates, worker: worker, now: group.now, connection, savepoint: "g\(index)", logger: logger))
            }
            return applied
        }
    }

    /// One group in savepoint `savepoint`: rolled back (false) at the first update whose
    /// precondition fails. The caller holds the inbox lock.
    static func recordGroup(
        _ group: [CommandUpdate], worker: String?, now: EpochMillis, _ connection: PostgresConnection,
        savepoint: String, logger: Logger
    ) async throws -> Bool {
        try await connection.query(PostgresQuery(unsafeSQL: "SAVEPOINT \(savepoint)"), logger: logger)
        for update in group {
            guard try await apply(update, worker: worker, now: now, connection, logger: logger) else {
                try await connection.query(PostgresQuery(unsafeSQL: "ROLLBACK TO SAVEPOINT \(savepoint)"), logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)"), logger: logger)
                return false
            }
        }
        try await connection.query(PostgresQuery(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)"), logger: logger)
        return true
    }

    private static func apply(
        _ update: CommandUpdate, worker: String?, now: EpochMillis, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let condition: String
        var owner: String?
        switch update.precondition {
        case .leasedBy(let leaseOwner):
            condition = "state = 'in_flight' AND lease_owner = $6"
            owner = leaseOwner
        case .pendingUnleased:
            condition = "state = 'pending' AND lease_owner IS NULL AND $6::text IS NULL"
        case .neverSent:
            condition =
                "state = 'pending' AND lease_owner IS NULL AND needs_reconcile = 0 AND paywall_payment_request_id IS NULL AND $6::text IS NULL"
        case .pendingOrLeasedBy(let leaseOwner):
            condition = "((state = 'pending' AND lease_owner IS NULL) OR (state = 'in_flight' AND lease_owner = $6))"
            owner = leaseOwner
        }
        var binds = PostgresBindings()
        binds.append(Int64(update.countsAsAttempt ? 1 : 0))
        binds.append(update.paywallPaymentRequestId)
        binds.append(update.acceptedAt)
        binds.append(now)
        binds.append(update.commandID)
        binds.append(owner)
        let found = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE outbox
                       SET attempts = attempts + $1,
                           paywall_payment_request_id = coalesce($2::text::citext, paywall_payment_request_id),
                           accepted_at = coalesce($3, accepted_at),
                           lease_owner = NULL, lease_expires_at = NULL, updated_at = $4
                     WHERE id = $5 AND \(condition)
                    RETURNING command_key::text, kind, generation
                    """, binds: binds), logger: logger)
        var row: (String, String, Int64)?
        for try await values in found.decode((String, String, Int64).self) { row = values }
        guard let (commandKey, kind, generation) = row else { return false }

        if let attempt = update.attempt {
            var completed = false
            if attempt.request == .send {
                // The row the mark opened before the request left, completed with the answer (every
                // open one of this worker's, as SQLite does).
                completed =
                    try await PostgresRows.one(
                        connection.query(
                            """
                            UPDATE attempt SET started_at = \(attempt.startedAt), duration_ms = \(attempt.durationMillis),
                                               http_status = \(attempt.httpStatus.map(Int64.init)), outcome = \(attempt.outcome),
                                               error_code = \(attempt.errorCode.map(Int64.init)), error = \(attempt.error)
                             WHERE outbox_id = \(update.commandID) AND request = 'send' AND outcome = 'sending'
                               AND worker IS NOT DISTINCT FROM \(worker)
                            RETURNING id
                            """, logger: logger), Int64.self) != nil
            }
            if !completed {
                try await connection.query(
                    """
                    INSERT INTO attempt (outbox_id, generation, worker, started_at, duration_ms, http_status, outcome,
                                         error_code, error, request)
                    VALUES (\(update.commandID), \(generation), \(worker), \(attempt.startedAt), \(attempt.durationMillis),
                            \(attempt.httpStatus.map(Int64.init)), \(attempt.outcome), \(attempt.errorCode.map(Int64.init)),
                            \(attempt.error), \(attempt.request.rawValue))
                    """, logger: logger)
            }
        }

        switch update.next {
        case .reschedule(let dueAt, let needsReconcile, let lastError):
            try await connection.query(
                """
                UPDATE outbox SET state = 'pending', due_at = \(dueAt), needs_reconcile = \(needsReconcile ? Int64(1) : 0),
                                  last_error = coalesce(\(lastError), last_error), updated_at = \(now)
                 WHERE id = \(update.commandID)
                """, logger: logger)
        case .finish(let outcome):
            let lastError: String? =
                outcome.outcome == .succeeded ? nil : (outcome.message ?? outcome.reason?.rawValue)
            try await connection.query(
                """
                UPDATE outbox SET state = \(outcome.outcome.state.rawValue), finished_at = \(now), needs_reconcile = 0,
                                  last_error = coalesce(\(lastError), last_error)
                 WHERE id = \(update.commandID)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, reason, error_code,
                                   message, client_message, payment_request_id, payment_request_activity_id,
                                   terminal_pair_id, payment_status_id, result, raw_response, http_status, created_at)
                VALUES (\(update.commandID), \(commandKey)::citext, \(kind), \(generation), 'outcome', \(outcome.outcome.rawValue),
                        \(outcome.reason?.rawValue), \(outcome.errorCode.map(Int64.init)), \(outcome.message),
                        \(outcome.clientMessage), \(outcome.paymentRequestId)::citext,
                        \(outcome.paymentRequestActivityId)::citext, \(outcome.terminalPairId)::citext,
                        \(outcome.paymentStatusId.map(Int64.init)), \(outcome.result), \(outcome.rawResponse),
                        \(outcome.httpStatus.map(Int64.init)), \(now))
                """, logger: logger)
            if let follow = update.follow {
                try await startFollow(follow, outboxId: update.commandID, generation: generation, now: now, connection, logger: logger)
            }
        }
        return true
    }
}

/// A record group as a Sendable value.
struct RecordGroup: Sendable {
    var updates: [CommandUpdate]
    var now: EpochMillis
}
