import GRDB
import OutboxModel

extension OutboxStore {
    /// The claim statement. It reads only the partial index `outbox_due` (pending rows), so
    /// finished rows never slow it; a test checks the query plan.
    static let claimSQL = """
        UPDATE outbox
           SET state = 'in_flight', lease_owner = ?, lease_expires_at = ?, updated_at = ?
         WHERE id IN (SELECT id FROM outbox
                       WHERE state = 'pending' AND due_at <= ?
                       ORDER BY due_at, id
                       LIMIT ?)
        RETURNING \(OutboxCommand.columns)
        """

    /// Claims up to `limit` commands that are due at `now`, leasing them to `owner` until
    /// `now + leaseMillis`. Several processes may claim at once: the transaction holds the write
    /// lock, so no command is ever handed to two claimers. Returned in due order.
    public func claim(owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64) throws -> [OutboxCommand] {
        guard limit > 0 else { return [] }
        return try write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: Self.claimSQL),
                arguments: [owner, now + leaseMillis, now, now, limit])
            return rows.map(OutboxCommand.init(row:)).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    /// While dispatch is paused (Paywall unreachable): claims up to `limit` pending commands that
    /// were never sent (no reconcile mark) and whose deadline has passed, so they end `expired`
    /// when it happens rather than when Paywall is back. `defaultDeadlines` maps a kind name to
    /// its delivery window in ms from `created_at` (the row's own `deadline` wins). Reads only
    /// pending rows (the `outbox_due` index).
    public func claimOverdue(
        owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64, defaultDeadlines: [String: Int64]
    ) throws -> [OutboxCommand] {
        guard limit > 0 else { return [] }
        let windows =
            "{" + defaultDeadlines.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
            + "}"
        return try write { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox
                           SET state = 'in_flight', lease_owner = ?, lease_expires_at = ?, updated_at = ?
                         WHERE id IN (SELECT o.id FROM outbox AS o
                                       WHERE o.state = 'pending' AND o.due_at <= ? AND o.needs_reconcile = 0
                                         AND o.paywall_payment_request_id IS NULL
                                         AND coalesce(o.deadline,
                                                      o.created_at + (SELECT value FROM json_each(?) WHERE key = o.kind)) < ?
                                       ORDER BY o.due_at, o.id
                                       LIMIT ?)
                        RETURNING \(OutboxCommand.columns)
                        """),
                arguments: [owner, now + leaseMillis, now, now, windows, now, limit]
            ).map(OutboxCommand.init(row:))
        }
    }

    /// Extends the leases `owner` holds on `ids` to `until`. Returns the ids still held (a lease
    /// that expired and was taken back is not extended).
    public func extendLeases(ids: [Int64], owner: String, until: EpochMillis, now: EpochMillis) throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        return try write { db in
            try ids.compactMap { id in
                try db.execute(
                    sql: """
                        UPDATE outbox SET lease_expires_at = ?, updated_at = ?
                         WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                        """,
                    arguments: [until, now, id, owner])
                return db.changesCount == 1 ? id : nil
            }
        }
    }

    /// Gives back commands `owner` claimed but did not send (shutdown, or nothing to do yet):
    /// they return to the queue due at `dueAt` (default: at once) without any reconcile flag.
    @discardableResult
    public func release(ids: [Int64], owner: String, dueAt: EpochMillis? = nil, now: EpochMillis) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try write { db in
            var released = 0
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE outbox
                           SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                               due_at = coalesce(?, due_at), updated_at = ?
                         WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                        """,
                    arguments: [dueAt, now, id, owner])
                released += db.changesCount
            }
            return released
        }
    }

    /// Returns commands whose lease ended before `now` to the queue (their worker died or hung).
    /// Because that worker may have sent them, they come back marked `needs_reconcile`: the next
    /// worker asks Paywall what happened before any resend. Returns the ids released.
    @discardableResult
    ///
    /// `sparing` lists the commands the caller is still working on: they are never taken back
    /// here, because a worker that is alive knows what it is still sending (a forward clock step
    /// must not make it a second sender of its own command). Its other leases (a previous
    /// process with the same worker id) are released like anyone's.
    public func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64] = []) throws -> [Int64] {
        try write { db in
            let released = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox
                           SET state = 'pending', needs_reconcile = 1, due_at = ?, updated_at = ?,
                               last_error = 'lease held by ' || coalesce(lease_owner, '?') || ' expired',
                               lease_owner = NULL, lease_expires_at = NULL
                         WHERE state = 'in_flight' AND lease_expires_at < ?
                           AND id NOT IN (SELECT value FROM json_each(?))
                        RETURNING id, generation, last_error
                        """),
                arguments: [now, now, now, "[" + held.map(String.init).joined(separator: ",") + "]"])
            // The holder may have sent each of them up to now: an attempt row says so, and the
            // reconcile rules count it as the last moment a send may have left.
            var ids: [Int64] = []
            for row in released {
                var reader = SafeRowReader(row, columns: "id, generation, last_error")
                let id = reader.integer(0)
                ids.append(id)
                try db.cachedStatement(
                    sql: """
                        INSERT INTO attempt (outbox_id, generation, started_at, outcome, error, request)
                        VALUES (?, ?, ?, 'unknown', ?, 'lease_expired')
                        """
                ).execute(arguments: [id, reader.count(1, fallback: 1), now, reader.optionalText(2)])
            }
            return ids
        }
    }
}
