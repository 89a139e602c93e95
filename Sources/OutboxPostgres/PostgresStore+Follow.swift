import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// Following payments: the SQLite store's `payment_follow` rules, statement for statement (a
/// follow starts in the statement that records its command's outcome: PostgresStore+Record).
extension PostgresStore {
    public func claimDueFollows(now: EpochMillis, limit: Int, leaseMillis: Int64) async throws -> [PaymentFollow] {
        guard limit > 0 else { return [] }
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                WITH claimed AS (
                    UPDATE payment_follow SET next_poll_at = \(now + leaseMillis)
                     WHERE id IN (SELECT id FROM payment_follow
                                   WHERE state = 'following' AND next_poll_at <= \(now)
                                   ORDER BY next_poll_at, id LIMIT \(Int64(limit))
                                   FOR UPDATE SKIP LOCKED)
                    RETURNING *)
                SELECT \(unescaped: PostgresRows.followColumns)
                  FROM claimed AS f LEFT JOIN outbox AS o ON o.id = f.outbox_id
                 ORDER BY f.next_poll_at, f.id
                """, logger: logger)
            var follows: [PaymentFollow] = []
            for try await row in rows { follows.append(try PostgresRows.follow(row)) }
            return follows
        }
    }

    static func follow(id: Int64, _ connection: PostgresConnection, logger: Logger, lock: Bool) async throws
        -> PaymentFollow?
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: PostgresRows.followColumns)
              FROM payment_follow AS f LEFT JOIN outbox AS o ON o.id = f.outbox_id
             WHERE f.id = \(id) \(unescaped: lock ? "FOR UPDATE OF f" : "")
            """, logger: logger)
        for try await row in rows { return try PostgresRows.follow(row) }
        return nil
    }

    public func recordFollow(_ update: FollowUpdate, now: EpochMillis) async throws -> [PaymentStatusEvent] {
        let logger = logger
        return try await transaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            guard let follow = try await Self.follow(id: update.followId, connection, logger: logger, lock: true) else {
                return []
            }
            var written: [PaymentStatusEvent] = []
            var stateAfter = follow.state
            // An activity id another follow of the payment already holds is that one's (an earlier cancel).
            var learnedElsewhere = false
            if follow.activityId == nil, let learned = update.activityId {
                learnedElsewhere =
                    try await PostgresRows.one(
                        connection.query(
                            """
                            SELECT EXISTS (SELECT 1 FROM payment_follow
                                            WHERE payment_request_id = \(follow.paymentRequestId)::citext
                                              AND activity_type = \(Int64(follow.activity.paymentTypeId))
                                              AND activity_id = \(learned)::citext AND id <> \(follow.id))
                            """, logger: logger), Bool.self) ?? false
            }
            // A callback brought the read forward while this one was out: keep that.
            let hinted = FollowRecordRule.hinted(update, follow: follow)
            let events = FollowRecordRule.events(update, hinted: hinted)
            if stateAfter != .final && !learnedElsewhere {
                written = try await Self.writeStatuses(events, of: follow, now: now, connection, logger: logger)
                stateAfter = try await Self.follow(id: follow.id, connection, logger: logger, lock: false)?.state ?? stateAfter
            }
            let (state, nextPollAt, interval) = FollowRecordRule.next(
                update, follow: follow, state: stateAfter, hinted: hinted, learnedElsewhere: learnedElsewhere, now: now)
            try await connection.query(
                """
                UPDATE payment_follow
                   SET state = \(state.rawValue), next_poll_at = \(nextPollAt), interval_ms = \(interval),
                       polls = polls + \(Int64(update.polled ? 1 : 0)),
                       activity_id = coalesce(activity_id, \(learnedElsewhere ? nil : update.activityId)::citext),
                       last_error = \(update.lastError),
                       finished_at = CASE WHEN \(state.rawValue) = 'following' THEN NULL ELSE coalesce(finished_at, \(now)) END
                 WHERE id = \(follow.id)
                """, logger: logger)
            return written
        }
    }

    public func recordCallbackStatus(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, event: PaymentStatusEvent,
        pollBy: EpochMillis, now: EpochMillis
    ) async throws -> CallbackRecording {
        let logger = logger
        return try await transaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            // SQLite's order: the follow with this activity id, then one whose id is still unknown
            // (the expression is false), then the others (null: last, as SQLite sorts nulls).
            let id = try await PostgresRows.one(
                connection.query(
                    """
                    SELECT id FROM payment_follow
                     WHERE payment_request_id = \(paymentRequestId)::citext AND activity_type = \(Int64(activity.paymentTypeId))
                       AND (activity_id IS NULL OR \(activityId)::citext IS NULL OR activity_id = \(activityId)::citext)
                     ORDER BY (activity_id IS NOT NULL AND activity_id = \(activityId)::citext) DESC NULLS LAST, id DESC
                     LIMIT 1
                    """, logger: logger), Int64.self)
            guard let id, let follow = try await Self.follow(id: id, connection, logger: logger, lock: true) else {
                return .unknownPayment
            }
            guard follow.state != .final else { return .duplicate }
            if event.isFinal {
                // Never final from a callback alone (its Hash does not cover the status): read now.
                try await connection.query(
                    """
                    UPDATE payment_follow SET state = 'following', next_poll_at = least(next_poll_at, \(pollBy)),
                                              finished_at = NULL
                     WHERE id = \(id)
                    """, logger: logger)
                return .confirming
            }
            let written = try await Self.writeStatuses([event], of: follow, now: now, connection, logger: logger)
            if !written.isEmpty,
                try await Self.follow(id: id, connection, logger: logger, lock: false)?.state == .following
            {
                try await connection.query(
                    "UPDATE payment_follow SET next_poll_at = least(next_poll_at, \(pollBy)) WHERE id = \(id)",
                    logger: logger)
            }
            return written.isEmpty ? .duplicate : .recorded
        }
    }

    /// One inbox row per distinct status, none behind the progress already written (unless
    /// final), nothing after a final one; the horizon's unresolved row once. The caller holds
    /// the inbox lock and the follow's row lock.
    static func writeStatuses(
        _ events: [PaymentStatusEvent], of follow: PaymentFollow, now: EpochMillis, _ connection: PostgresConnection,
        logger: Logger
    ) async throws -> [PaymentStatusEvent] {
        var progress = follow.progress
        var written: [PaymentStatusEvent] = []
        var isFinal = try await Self.follow(id: follow.id, connection, logger: logger, lock: false)?.state == .final
        for event in events {
            if isFinal { break }
            if event.statusId == nil {
                let already =
                    try await PostgresRows.one(
                        connection.query(
                            """
                            SELECT EXISTS (SELECT 1 FROM inbox WHERE outbox_id = \(follow.outboxId)
                                             AND generation = \(Int64(follow.generation))
                                             AND event = 'payment_status' AND source = 'horizon')
                            """, logger: logger), Bool.self) ?? false
                if already { continue }
            } else if !event.isFinal && event.progress < progress {
                continue
            }
            let inserted = try await PostgresRows.one(
                connection.query(
                    """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, reason, message,
                                       payment_request_id, payment_request_activity_id, payment_status_id, result,
                                       activity, status_name, source, final, created_at)
                    SELECT o.id, o.command_key, o.kind, \(Int64(follow.generation)), 'payment_status',
                           \(event.statusId == nil ? "unresolved" : nil), \(event.message), \(follow.paymentRequestId)::citext,
                           \((event.activityId ?? follow.activityId))::citext, \(event.statusId.map(Int64.init)), \(event.result),
                           \(follow.activity.rawValue), \(event.statusName), \(event.source.rawValue),
                           \(Int64(event.isFinal ? 1 : 0)), \(now)
                      FROM outbox AS o WHERE o.id = \(follow.outboxId)
                    ON CONFLICT DO NOTHING
                    RETURNING id
                    """, logger: logger), Int64.self)
            guard inserted != nil else { continue }
            written.append(event)
            guard let statusId = event.statusId else { continue }
            progress = max(progress, event.progress)
            try await connection.query(
                """
                UPDATE payment_follow
                   SET last_status_id = \(Int64(statusId)), progress = \(Int64(progress)),
                       state = CASE WHEN \(event.isFinal) THEN 'final' ELSE state END,
                       finished_at = CASE WHEN \(event.isFinal) THEN coalesce(finished_at, \(now)) ELSE finished_at END
                 WHERE id = \(follow.id)
                """, logger: logger)
            isFinal = event.isFinal
        }
        return written
    }

    public func pollSoon(paymentRequestId: String, activity: FollowedActivity, at: EpochMillis) async throws {
        let logger = logger
        try await connection { connection in
            try await connection.query(
                """
                UPDATE payment_follow SET next_poll_at = least(next_poll_at, \(at))
                 WHERE payment_request_id = \(paymentRequestId)::citext
                   AND activity_type = \(Int64(activity.paymentTypeId)) AND state = 'following'
                """, logger: logger)
        }
    }

    public func followSummary() async throws -> FollowSummary {
        let logger = logger
        return try await connection { connection in
            let rows = try await connection.query(
                """
                SELECT count(*) FILTER (WHERE state = 'following'),
                       min(started_at) FILTER (WHERE state = 'following'),
                       count(*) FILTER (WHERE state = 'unresolved'),
                       coalesce(sum(polls), 0)::bigint
                  FROM payment_follow
                """, logger: logger)
            for try await (following, oldest, unresolved, reads) in rows.decode((Int64, Int64?, Int64, Int64).self) {
                return FollowSummary(
                    following: Int(following), oldestStartedAt: oldest, unresolved: Int(unresolved), reads: Int(reads))
            }
            return FollowSummary(following: 0, oldestStartedAt: nil, unresolved: 0)
        }
    }
}
