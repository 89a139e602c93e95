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
        return try await transaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            var applied: [Bool] = []
            for (index, group) in groups.enumerated() {
                applied.append(
                    try await Self.recordGroup(
                        group.updates, worker: worker, now: group.now, connection, savepoint: "g\(index)", logger: logger))
            }
            return applied
        }
    }

    /// One group: a single update is one statement that writes all or nothing; several run in
    /// savepoint `savepoint`, rolled back (false) at the first update whose precondition fails.
    /// The caller holds the inbox lock.
    static func recordGroup(
        _ group: [CommandUpdate], worker: String?, now: EpochMillis, _ connection: PostgresConnection,
        savepoint: String, logger: Logger
    ) async throws -> Bool {
        if group.count == 1 { return try await apply(group[0], worker: worker, now: now, connection, logger: logger) }
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

    /// The precondition of `update` over the row `outbox` and the parameter row `p` (its `owner`).
    private static func condition(_ precondition: CommandUpdate.Precondition) -> (sql: String, owner: String?) {
        switch precondition {
        case .leasedBy(let owner):
            ("outbox.state = 'in_flight' AND outbox.lease_owner = p.owner", owner)
        case .pendingUnleased:
            ("outbox.state = 'pending' AND outbox.lease_owner IS NULL", nil)
        case .neverSent:
            (
                """
                outbox.state = 'pending' AND outbox.lease_owner IS NULL AND outbox.needs_reconcile = 0 \
                AND outbox.paywall_payment_request_id IS NULL
                """, nil
            )
        case .pendingOrLeasedBy(let owner):
            (
                """
                ((outbox.state = 'pending' AND outbox.lease_owner IS NULL) \
                OR (outbox.state = 'in_flight' AND outbox.lease_owner = p.owner))
                """, owner
            )
        }
    }

    /// One update as one statement (one round trip): the outbox row under its precondition, and,
    /// only if that row was updated, its attempt (completing the row its mark opened, else a new
    /// one), its inbox outcome and the payment follow it starts. Nothing is written when the
    /// precondition fails (every part reads the updated row). False then.
    private static func apply(
        _ update: CommandUpdate, worker: String?, now: EpochMillis, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let (condition, owner) = condition(update.precondition)
        let state: String
        var dueAt: Int64?
        var needsReconcile: Int64 = 0
        var lastError: String?
        var outcome: InboxOutcome?
        switch update.next {
        case .reschedule(let due, let reconcile, let error):
            state = CommandState.pending.rawValue
            dueAt = due
            needsReconcile = reconcile ? 1 : 0
            lastError = error
        case .finish(let finished):
            state = finished.outcome.state.rawValue
            lastError = finished.outcome == .succeeded ? nil : (finished.message ?? finished.reason?.rawValue)
            outcome = finished
        }
        let attempt = update.attempt
        let follow = outcome == nil ? nil : update.follow
        let rows = try await connection.query(
            """
            WITH p AS (SELECT \(owner)::text AS owner),
            o AS (
                UPDATE outbox
                   SET attempts = outbox.attempts + \(Int64(update.countsAsAttempt ? 1 : 0)),
                       paywall_payment_request_id = coalesce(\(update.paywallPaymentRequestId)::text::citext,
                                                             outbox.paywall_payment_request_id),
                       accepted_at = coalesce(\(update.acceptedAt)::bigint, outbox.accepted_at),
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now),
                       state = \(state), due_at = coalesce(\(dueAt)::bigint, outbox.due_at),
                       needs_reconcile = \(needsReconcile),
                       finished_at = CASE WHEN \(outcome != nil) THEN \(now) ELSE outbox.finished_at END,
                       last_error = coalesce(\(lastError)::text, outbox.last_error)
                  FROM p
                 WHERE outbox.id = \(update.commandID) AND \(unescaped: condition)
                RETURNING outbox.id, outbox.command_key, outbox.kind, outbox.generation
            ),
            completed AS (
                UPDATE attempt
                   SET started_at = \(attempt?.startedAt)::bigint, duration_ms = \(attempt?.durationMillis)::bigint,
                       http_status = \(attempt?.httpStatus.map(Int64.init))::bigint, outcome = \(attempt?.outcome)::text,
                       error_code = \(attempt?.errorCode.map(Int64.init))::bigint, error = \(attempt?.error)::text
                  FROM o
                 WHERE \(attempt?.request == .send) AND attempt.outbox_id = o.id AND attempt.request = 'send'
                   AND attempt.outcome = 'sending' AND attempt.worker IS NOT DISTINCT FROM \(worker)::text
                RETURNING attempt.id
            ),
            added AS (
                INSERT INTO attempt (outbox_id, generation, worker, started_at, duration_ms, http_status, outcome,
                                     error_code, error, request)
                SELECT o.id, o.generation, \(worker)::text, \(attempt?.startedAt)::bigint,
                       \(attempt?.durationMillis)::bigint, \(attempt?.httpStatus.map(Int64.init))::bigint,
                       \(attempt?.outcome)::text, \(attempt?.errorCode.map(Int64.init))::bigint, \(attempt?.error)::text,
                       \(attempt?.request.rawValue)::text
                  FROM o
                 WHERE \(attempt != nil) AND NOT EXISTS (SELECT 1 FROM completed)
            ),
            written AS (
                INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, reason, error_code,
                                   message, client_message, payment_request_id, payment_request_activity_id,
                                   terminal_pair_id, payment_status_id, result, raw_response, http_status, created_at)
                SELECT o.id, o.command_key, o.kind, o.generation, 'outcome', \(outcome?.outcome.rawValue)::text,
                       \(outcome?.reason?.rawValue)::text, \(outcome?.errorCode.map(Int64.init))::bigint,
                       \(outcome?.message)::text, \(outcome?.clientMessage)::text,
                       \(outcome?.paymentRequestId)::text::citext, \(outcome?.paymentRequestActivityId)::text::citext,
                       \(outcome?.terminalPairId)::text::citext, \(outcome?.paymentStatusId.map(Int64.init))::bigint,
                       \(outcome?.result)::text, \(outcome?.rawResponse)::text,
                       \(outcome?.httpStatus.map(Int64.init))::bigint, \(now)
                  FROM o
                 WHERE \(outcome != nil)
            ),
            followed AS (
                -- One follow per command generation, and one per (command, payment, activity): an
                -- operator's retry of a command whose activity is followed follows the same one.
                INSERT INTO payment_follow (outbox_id, generation, payment_request_id, activity_type, activity_id,
                                            started_at, horizon_at, next_poll_at, interval_ms)
                SELECT o.id, o.generation, \(follow?.paymentRequestId)::text::citext,
                       \(follow.map { Int64($0.activity.paymentTypeId) })::bigint, \(follow?.activityId)::text::citext,
                       \(now), \(follow?.horizonAt)::bigint, \(follow?.firstPollAt)::bigint,
                       \(follow?.intervalMillis)::bigint
                  FROM o
                 WHERE \(follow != nil)
                   AND NOT EXISTS (SELECT 1 FROM payment_follow AS f
                                    WHERE f.outbox_id = o.id
                                      AND f.payment_request_id = \(follow?.paymentRequestId)::text::citext
                                      AND f.activity_type = \(follow.map { Int64($0.activity.paymentTypeId) })::bigint)
                ON CONFLICT (outbox_id, generation) DO NOTHING
            )
            SELECT count(*) FROM o
            """, logger: logger)
        return try await PostgresRows.one(rows, Int64.self) == 1
    }
}
