import GRDB
import OutboxModel

extension OutboxStore {
    /// Starts following an activity, inside the transaction that records its command's outcome.
    /// A second start for the same command generation changes nothing.
    static func startFollow(_ start: FollowStart, outboxId: Int64, generation: Int, now: EpochMillis, _ db: Database)
        throws
    {
        // An operator's retry of a command whose activity is already followed (an undelivered sale
        // resent and found by its MerchantUniqueCode) follows the same activity: one follow, one
        // final row.
        try db.cachedStatement(
            sql: """
                INSERT INTO payment_follow (outbox_id, generation, payment_request_id, activity_type, activity_id,
                                            started_at, horizon_at, next_poll_at, interval_ms)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
                 WHERE NOT EXISTS (SELECT 1 FROM payment_follow
                                    WHERE outbox_id = ? AND payment_request_id = ? AND activity_type = ?)
                ON CONFLICT (outbox_id, generation) DO NOTHING
                """
        ).execute(arguments: [
            outboxId, generation, start.paymentRequestId, start.activity.paymentTypeId, start.activityId, now,
            start.horizonAt, start.firstPollAt, start.intervalMillis, outboxId, start.paymentRequestId,
            start.activity.paymentTypeId,
        ])
    }

    /// Claims up to `limit` followed activities whose next read is due at `now`, oldest due first,
    /// moving their next read `leaseMillis` ahead (a worker that dies holding one only delays it;
    /// two workers reading the same payment at once write nothing twice). A read without the
    /// write lock first: nothing due costs no write transaction. Reads only the rows still
    /// followed (index `payment_follow_due`).
    public func claimDueFollows(now: EpochMillis, limit: Int, leaseMillis: Int64) throws -> [PaymentFollow] {
        guard limit > 0 else { return [] }
        let due = try readWithoutTransaction { db in
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT EXISTS (SELECT 1 FROM payment_follow WHERE state = 'following' AND next_poll_at <= ?)"),
                arguments: [now]) ?? false
        }
        guard due else { return [] }
        return try write { db in
            let ids = try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE payment_follow SET next_poll_at = ?
                         WHERE id IN (SELECT id FROM payment_follow
                                       WHERE state = 'following' AND next_poll_at <= ?
                                       ORDER BY next_poll_at, id LIMIT ?)
                        RETURNING id
                        """),
                arguments: [now + leaseMillis, now, limit])
            return try Self.follows(ids: ids, db)
        }
    }

    static func follows(ids: [Int64], _ db: Database) throws -> [PaymentFollow] {
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        return try Row.fetchAll(
            db,
            sql: """
                SELECT \(PaymentFollow.columns) FROM payment_follow AS f LEFT JOIN outbox AS o ON o.id = f.outbox_id
                 WHERE f.id IN (\(marks)) ORDER BY f.next_poll_at, f.id
                """,
            arguments: StatementArguments(ids)
        ).map(PaymentFollow.init(row:))
    }

    /// Records one activities read (or its failure): the statuses not yet told, then the next
    /// read, the horizon's end or, after a final status, the end of following. Returns the
    /// statuses written to the inbox, oldest first.
    @discardableResult
    public func recordFollow(_ update: FollowUpdate, now: EpochMillis) throws -> [PaymentStatusEvent] {
        try write { db in
            guard let follow = try Self.follows(ids: [update.followId], db).first else { return [] }
            var written: [PaymentStatusEvent] = []
            var stateAfter = follow.state
            // An activity id this read would learn that another follow of the payment already holds
            // is that one's (an earlier cancel): nothing of it is written here; ask again.
            let learnedElsewhere =
                try follow.activityId == nil && update.activityId.map { learned in
                    try Bool.fetchOne(
                        db,
                        sql: """
                            SELECT EXISTS (SELECT 1 FROM payment_follow
                                            WHERE payment_request_id = ? AND activity_type = ? AND activity_id = ?
                                              AND id <> ?)
                            """, arguments: [follow.paymentRequestId, follow.activity.paymentTypeId, learned, follow.id])
                        ?? false
                } ?? false
            // A callback brought the read forward while this one was out (the row's next read is
            // earlier than the claim left it): keep that, and do not end at the horizon on a read
            // that may predate what the callback reported (no unresolved row either).
            let hinted = FollowRecordRule.hinted(update, follow: follow)
            let events = FollowRecordRule.events(update, hinted: hinted)
            if stateAfter != .final && !learnedElsewhere {
                written = try Self.writeStatuses(events, of: follow, now: now, db)
                stateAfter = try Self.followState(follow.id, db)
            }
            let (state, nextPollAt, interval) = FollowRecordRule.next(
                update, follow: follow, state: stateAfter, hinted: hinted, learnedElsewhere: learnedElsewhere, now: now)
            try db.cachedStatement(
                sql: """
                    UPDATE payment_follow
                       SET state = ?, next_poll_at = ?, interval_ms = ?, polls = polls + ?,
                           activity_id = coalesce(activity_id, ?), last_error = ?,
                           finished_at = CASE WHEN ? = 'following' THEN NULL ELSE coalesce(finished_at, ?) END
                     WHERE id = ?
                    """
            ).execute(arguments: [
                state.rawValue, nextPollAt, interval, update.polled ? 1 : 0, learnedElsewhere ? nil : update.activityId,
                update.lastError,
                state.rawValue, now, follow.id,
            ])
            return written
        }
    }

    /// Records a status a verified callback reported for the activity of type `activity` of the
    /// payment `paymentRequestId` (its PaymentRequestActivityId when given).
    ///
    /// Paywall's callback `Hash` covers PaymentRequestId, MerchantUniqueCode and Amount, not the
    /// status (API-NOTES S6): a captured callback replayed with another `PaymentStatusId` still
    /// verifies. So a callback is a hint. A status that is not final is written (source
    /// `callback`) unless the activity has it already, has come further, or is final; a final
    /// status is never written from a callback alone: the activity's next read is brought forward
    /// to `pollBy` (and an activity that reached its horizon is followed again), and the read
    /// writes the final status it confirms. A callback that wrote a row, or reported a final
    /// status, brings the next read forward; a duplicate or stale one does not.
    public func recordCallbackStatus(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, event: PaymentStatusEvent,
        pollBy: EpochMillis, now: EpochMillis
    ) throws -> CallbackRecording {
        try write { db in
            let id = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM payment_follow
                         WHERE payment_request_id = ? AND activity_type = ?
                           AND (activity_id IS NULL OR ? IS NULL OR activity_id = ?)
                         ORDER BY (activity_id IS NOT NULL AND activity_id = ?) DESC, id DESC
                         LIMIT 1
                        """),
                arguments: [paymentRequestId, activity.paymentTypeId, activityId, activityId, activityId])
            guard let id, let follow = try Self.follows(ids: [id], db).first else { return .unknownPayment }
            // The callback's activity id is not covered by its Hash: it matches a follow, it is
            // never stored as the follow's (the activities read learns that).
            guard follow.state != .final else { return .duplicate }
            if event.isFinal {
                try db.execute(
                    sql: """
                        UPDATE payment_follow SET state = 'following', next_poll_at = min(next_poll_at, ?),
                                                  finished_at = NULL
                         WHERE id = ?
                        """, arguments: [pollBy, id])
                return .confirming
            }
            let written = try Self.writeStatuses([event], of: follow, now: now, db)
            // A duplicate or a stale status does not bring the read forward (a replayed capture
            // must not turn into one Paywall read per delivery).
            if !written.isEmpty, try Self.followState(id, db) == .following {
                try db.execute(
                    sql: "UPDATE payment_follow SET next_poll_at = min(next_poll_at, ?) WHERE id = ?",
                    arguments: [pollBy, id])
            }
            return written.isEmpty ? .duplicate : .recorded
        }
    }

    private static func followState(_ id: Int64, _ db: Database) throws -> FollowState {
        FollowState(rawValue: try String.fetchOne(db, sql: "SELECT state FROM payment_follow WHERE id = ?", arguments: [id]) ?? "")
            ?? .following
    }

    /// Writes `events` for `follow` in order: one row per distinct status, none behind the
    /// progress already written (unless final), nothing after a final one; the horizon's
    /// unresolved row once. Updates the follow's progress, last status and (after a final
    /// status) its state. Returns the events written.
    static func writeStatuses(_ events: [PaymentStatusEvent], of follow: PaymentFollow, now: EpochMillis, _ db: Database)
        throws -> [PaymentStatusEvent]
    {
        var progress = follow.progress
        var written: [PaymentStatusEvent] = []
        // Read once: inside this transaction only the loop below makes the follow final.
        var isFinal = try followState(follow.id, db) == .final
        for event in events {
            if isFinal { break }
            if event.statusId == nil {
                // The horizon: one unresolved row, and only while nothing final is known.
                let already = try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM inbox WHERE outbox_id = ? AND generation = ?
                                          AND event = 'payment_status' AND source = 'horizon')
                        """, arguments: [follow.outboxId, follow.generation]) ?? false
                if already { continue }
            } else if !event.isFinal && event.progress < progress {
                continue
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, reason, message,
                                       payment_request_id, payment_request_activity_id, payment_status_id, result,
                                       activity, status_name, source, final, created_at)
                    SELECT o.id, o.command_key, o.kind, ?, 'payment_status', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                      FROM outbox AS o WHERE o.id = ?
                    ON CONFLICT DO NOTHING
                    """
            ).execute(arguments: [
                follow.generation, event.statusId == nil ? "unresolved" : nil, event.message, follow.paymentRequestId,
                event.activityId ?? follow.activityId, event.statusId, event.result, follow.activity.rawValue,
                event.statusName, event.source.rawValue, event.isFinal ? 1 : 0, now, follow.outboxId,
            ])
            guard db.changesCount > 0 else { continue }
            written.append(event)
            guard let statusId = event.statusId else { continue }
            progress = max(progress, event.progress)
            try db.cachedStatement(
                sql: """
                    UPDATE payment_follow
                       SET last_status_id = ?, progress = ?,
                           state = CASE WHEN ? THEN 'final' ELSE state END,
                           finished_at = CASE WHEN ? THEN coalesce(finished_at, ?) ELSE finished_at END
                     WHERE id = ?
                    """
            ).execute(arguments: [statusId, progress, event.isFinal, event.isFinal, now, follow.id])
            isFinal = event.isFinal
        }
        return written
    }

    /// Brings the next read of the followed activities of a payment forward to `at` (after a
    /// rollback Paywall accepted, the sale's or cancel's status is about to change).
    public func pollSoon(paymentRequestId: String, activity: FollowedActivity, at: EpochMillis) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE payment_follow SET next_poll_at = min(next_poll_at, ?)
                     WHERE payment_request_id = ? AND activity_type = ? AND state = 'following'
                    """, arguments: [at, paymentRequestId, activity.paymentTypeId])
        }
    }

    /// Payments being followed (for the overview and metrics).
    public func followSummary() throws -> FollowSummary {
        try read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) FILTER (WHERE state = 'following'),
                           min(started_at) FILTER (WHERE state = 'following'),
                           count(*) FILTER (WHERE state = 'unresolved'),
                           coalesce(sum(polls), 0)
                      FROM payment_follow
                    """)
            return FollowSummary(
                following: row?[0] ?? 0, oldestStartedAt: row?[1], unresolved: row?[2] ?? 0, reads: row?[3] ?? 0)
        }
    }

    /// The followed activities of one command, newest generation first (for `inspect show`).
    public func follows(outboxId: Int64) throws -> [PaymentFollow] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(PaymentFollow.columns) FROM payment_follow AS f LEFT JOIN outbox AS o ON o.id = f.outbox_id
                     WHERE f.outbox_id = ? ORDER BY f.generation DESC
                    """, arguments: [outboxId]
            ).map(PaymentFollow.init(row:))
        }
    }
}
