import GRDB
import OutboxModel

extension OutboxStore {
    /// Records that Paywall asked requests made with `credentials` (`private` or `public`) to
    /// wait until `until` (a 429 or 503 with Retry-After). A later hold never shortens an
    /// earlier one. Every worker on this database reads it (``activeHolds(now:)``).
    public func setHold(credentials: String, until: EpochMillis, reason: String, by worker: String, now: EpochMillis)
        throws
    {
        try write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO paywall_hold (credentials, until, reason, set_at, set_by) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (credentials) DO UPDATE
                       SET until = excluded.until, reason = excluded.reason, set_at = excluded.set_at,
                           set_by = excluded.set_by
                     WHERE excluded.until > paywall_hold.until
                    """
            ).execute(arguments: [credentials, until, reason, now, worker])
        }
    }

    /// The holds still running at `now`, by credentials. A hold further ahead than `maxMillis`
    /// (a clock stepped back after it was written) counts as ending `maxMillis` from now.
    public func activeHolds(now: EpochMillis, maxMillis: Int64 = 3_600_000) throws -> [String: EpochMillis] {
        try read { db in try Self.activeHolds(db, now: now, maxMillis: maxMillis) }
    }

    static func activeHolds(_ db: Database, now: EpochMillis, maxMillis: Int64) throws -> [String: EpochMillis] {
        var holds: [String: EpochMillis] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT credentials, until FROM paywall_hold WHERE until > ?"), arguments: [now])
        {
            var reader = SafeRowReader(row, columns: "credentials, until")
            if let until = reader.optionalWorkerTime(1) { holds[reader.text(0)] = min(until, now + maxMillis) }
        }
        return holds
    }
}

extension OutboxStore {
    /// After the wall clock stepped back by `millis`: every time the workers stored ahead (due
    /// times of pending commands, Retry-After holds, the pause's probe, followed payments' next
    /// read and horizon) moves back by the same amount, so a retry
    /// planned "in 2 s" is not frozen for the length of the step. Returns the commands moved.
    @discardableResult
    public func shiftSchedules(backBy millis: Int64, now: EpochMillis, by worker: String? = nil) throws -> Int {
        guard millis > 0 else { return 0 }
        return try write { db in
            // Several workers notice the same step: the first one to get here applies it.
            let applied = try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM clock_shift
                                    WHERE applied_at BETWEEN ? AND ? AND abs(step_ms - ?) < 1000)
                    """,
                arguments: [now - 10_000, now + 10_000, millis]) ?? false
            if applied { return 0 }
            try db.execute(
                sql: "INSERT INTO clock_shift (step_ms, applied_at, applied_by) VALUES (?, ?, ?)",
                arguments: [millis, now, worker])
            try db.execute(sql: "DELETE FROM clock_shift WHERE applied_at < ?", arguments: [now - 86_400_000])
            try db.execute(
                sql: "UPDATE outbox SET due_at = max(?, due_at - ?) WHERE state = 'pending' AND due_at > ?",
                arguments: [now, millis, now])
            let moved = db.changesCount
            try db.execute(
                sql: "UPDATE paywall_hold SET until = max(?, until - ?) WHERE until > ?", arguments: [now, millis, now])
            try db.execute(
                sql: "UPDATE paywall_pause SET probe_at = max(?, probe_at - ?) WHERE probe_at > ?",
                arguments: [now, millis, now])
            // Followed payments: the next read, and the horizon, keep their distance from now.
            try db.execute(
                sql: "UPDATE payment_follow SET next_poll_at = max(?, next_poll_at - ?), horizon_at = horizon_at - ? "
                    + "WHERE state = 'following'",
                arguments: [now, millis, millis])
            return moved
        }
    }
}
