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
    public func releaseExpiredLeases(now: EpochMillis) throws -> [Int64] {
        try write { db in
            try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox
                           SET state = 'pending', needs_reconcile = 1, due_at = ?, updated_at = ?,
                               last_error = 'lease held by ' || coalesce(lease_owner, '?') || ' expired',
                               lease_owner = NULL, lease_expires_at = NULL
                         WHERE state = 'in_flight' AND lease_expires_at < ?
                        RETURNING id
                        """),
                arguments: [now, now, now])
        }
    }
}
