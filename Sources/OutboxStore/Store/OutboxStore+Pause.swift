import GRDB
import OutboxModel

/// A dispatch pause shared by every worker on the database (schema 5, `paywall_pause`).
public struct PublishedPause: Sendable, Hashable {
    /// Why (e.g. "unreachable: connection closed").
    public var reason: String
    /// When the outage began (ms since epoch).
    public var since: EpochMillis
    /// When the publishing worker probes next (ms since epoch).
    public var probeAt: EpochMillis
    /// The worker that wrote it last.
    public var setBy: String?

    public init(reason: String, since: EpochMillis, probeAt: EpochMillis, setBy: String? = nil) {
        self.reason = reason
        self.since = since
        self.probeAt = probeAt
        self.setBy = setBy
    }
}

extension OutboxStore {
    /// Publishes that dispatch is paused: every worker on the database stops starting sends
    /// until the pause is cleared. The outage keeps its earliest `since`; `probe_at` is the
    /// latest writer's.
    public func publishPause(_ pause: PublishedPause, by worker: String, now: EpochMillis) throws {
        try write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO paywall_pause (scope, reason, since, probe_at, set_at, set_by)
                    VALUES ('paywall', ?, ?, ?, ?, ?)
                    ON CONFLICT (scope) DO UPDATE
                       SET reason = excluded.reason, since = min(since, excluded.since),
                           probe_at = excluded.probe_at, set_at = excluded.set_at, set_by = excluded.set_by
                    """
            ).execute(arguments: [pause.reason, pause.since, pause.probeAt, now, worker])
        }
    }

    /// Clears the shared pause (a probe got an answer at `now`), unless another worker wrote it
    /// after `now` (its news is newer than this answer). Returns whether a row was removed.
    @discardableResult
    public func clearPause(answeredAt now: EpochMillis) throws -> Bool {
        try write { db in
            try db.cachedStatement(sql: "DELETE FROM paywall_pause WHERE set_at <= ?").execute(arguments: [now])
            return db.changesCount > 0
        }
    }

    /// What every worker shares for dispatch, read in one transaction: the Retry-After holds
    /// running at `now` by credentials (see ``activeHolds(now:maxMillis:)``), and the pause.
    public func sharedDispatch(now: EpochMillis, maxHoldMillis: Int64 = 3_600_000) throws
        -> (holds: [String: EpochMillis], pause: PublishedPause?)
    {
        // Two independent facts, each read by one statement (its own snapshot): no transaction
        // around them, as every worker asks several times a second.
        try readWithoutTransaction { db in
            let holds = try Self.activeHolds(db, now: now, maxMillis: maxHoldMillis)
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT reason, since, probe_at, set_by FROM paywall_pause"))
            else { return (holds, nil) }
            var reader = SafeRowReader(row, columns: "reason, since, probe_at, set_by")
            guard let since = reader.optionalWorkerTime(1), let probeAt = reader.optionalWorkerTime(2) else {
                return (holds, nil)
            }
            return (
                holds,
                PublishedPause(reason: reader.text(0), since: since, probeAt: probeAt, setBy: reader.optionalText(3))
            )
        }
    }
}
