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
        return try write { db in try Self.claim(db, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis) }
    }

    /// ``claim(owner:now:limit:leaseMillis:)`` for the worker: a read first (no lock, nothing
    /// written) says whether anything is due, so a wake-up with nothing to do costs no write
    /// transaction.
    public func claimForWorker(owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64) throws
        -> [OutboxCommand]
    {
        guard limit > 0, try anythingDue(now: now) else { return [] }
        return try claim(owner: owner, now: now, limit: limit, leaseMillis: leaseMillis)
    }

    /// Whether a pending command is due at `now`: a read (no lock, nothing written), so a
    /// wake-up with nothing to do costs no write transaction.
    func anythingDue(now: EpochMillis) throws -> Bool {
        try readWithoutTransaction { db in
            try Bool.fetchOne(db.cachedStatement(sql: Self.anythingDueSQL), arguments: [now]) ?? false
        }
    }

    /// Whether any command is pending or in flight, or any payment is still followed (one
    /// statement over the partial indexes `outbox_due`, `outbox_leased` and `payment_follow_due`:
    /// finished rows are never read). Throws ``OutboxStoreError``.
    public func hasLiveWork() throws -> Bool {
        try readWithoutTransaction { db in
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending')
                            OR EXISTS (SELECT 1 FROM outbox WHERE state = 'in_flight')
                            OR EXISTS (SELECT 1 FROM payment_follow WHERE state = 'following')
                        """)) ?? true
        }
    }

    /// Whether a pending command is due at the bound time (reads only `outbox_due`).
    static let dueExists = "EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND due_at <= ?)"
    static let anythingDueSQL = "SELECT \(dueExists)"

    /// A command in flight whose lease ended before the bound time (or has no end: a row edited
    /// by hand), for ``releaseExpiredLeases(now:sparing:)`` and the read before it.
    static let leaseExpired = "state = 'in_flight' AND (lease_expires_at IS NULL OR lease_expires_at < ?)"

    static func claim(_ db: Database, owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64) throws
        -> [OutboxCommand]
    {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: Self.claimSQL),
            arguments: [owner, now + leaseMillis, now, now, limit])
        return rows.map(OutboxCommand.init(row:)).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
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
                try db.cachedStatement(
                    sql: """
                        UPDATE outbox SET lease_expires_at = ?, updated_at = ?
                         WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                        """
                ).execute(arguments: [until, now, id, owner])
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

    /// Returns commands whose lease ended before `now` to the queue (their worker died or hung),
    /// and any in flight with no lease end at all (a row written by hand): never stuck.
    /// Because that worker may have sent them, they come back marked `needs_reconcile`: the next
    /// worker asks Paywall what happened before any resend. Returns the ids released.
    @discardableResult
    ///
    /// `sparing` lists the commands the caller is still working on: they are never taken back
    /// here, because a worker that is alive knows what it is still sending (a forward clock step
    /// must not make it a second sender of its own command). Its other leases (a previous
    /// process with the same worker id) are released like anyone's.
    public func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64] = []) throws -> [Int64] {
        // A read first (no lock): a worker's every tick asks, and almost always nothing expired.
        let expired = try readWithoutTransaction { db in
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE \(Self.leaseExpired))"),
                arguments: [now]) ?? false
        }
        guard expired else { return [] }
        return try write { db in
            // needs_reconcile is already 1 for any command whose request may have left (the holder
            // marked it before sending: ``markSending``); one the holder never sent needs none.
            let ids = try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox
                           SET state = 'pending', due_at = ?, updated_at = ?,
                               last_error = 'lease held by ' || coalesce(lease_owner, '?') || ' expired',
                               lease_owner = NULL, lease_expires_at = NULL
                         WHERE \(Self.leaseExpired)
                           AND id NOT IN (SELECT value FROM json_each(?))
                        RETURNING id
                        """),
                arguments: [now, now, now, "[" + held.map(String.init).joined(separator: ",") + "]"])
            // A send the dead holder opened and never completed: no answer was recorded.
            for id in ids {
                try db.cachedStatement(
                    sql: """
                        UPDATE attempt SET outcome = 'unknown', error = 'no answer recorded: the worker holding it stopped'
                         WHERE outbox_id = ? AND request = 'send' AND outcome = 'sending'
                        """
                ).execute(arguments: [id])
            }
            return ids
        }
    }

    /// What ``markSending(commandID:owner:clock:deadline:durable:)`` found.
    public enum SendMark: Sendable, Hashable {
        /// Marked at this time: the request may go now.
        case marked(at: EpochMillis)
        /// The lease is no longer the caller's: the request must not go.
        case leaseLost
        /// The deadline passed before the mark (e.g. while waiting for the write lock): the
        /// request must not go.
        case pastDeadline(at: EpochMillis)
    }

    /// Before a request leaves: marks command `id` as possibly sent (`needs_reconcile = 1`) and
    /// opens its attempt row (outcome `sending`, completed by ``record(_:worker:now:)``), in one
    /// transaction guarded by the lease. So a worker that dies or cannot record the answer leaves
    /// the truth behind: the next one reconciles before any resend. The time is read from
    /// `clock` inside the transaction (after any wait for the write lock), and past `deadline`
    /// nothing is marked: a command never leaves after its deadline, however long the lock took.
    /// With `durable`, the commit is fsynced whatever the configured synchronous mode (for kinds
    /// Paywall does not deduplicate, where a mark lost in a power cut would mean a blind resend).
    public func markSending(
        commandID id: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?, durable: Bool
    ) throws -> SendMark {
        do {
            return try asOwnWrite {
                try pool.writeWithoutTransaction { db in
                    let raise = durable && configuration.synchronous != .full
                    if raise { try db.execute(sql: "PRAGMA synchronous = FULL") }
                    defer {
                        if raise { try? db.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)") }
                    }
                    var result = SendMark.leaseLost
                    try withoutAutoCheckpoint(db) {
                        try Self.immediateTransaction(db) {
                            result = try Self.markSending(db, commandID: id, owner: owner, clock: clock, deadline: deadline)
                        }
                    }
                    return result
                }
            }
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
    }

    /// The mark itself, inside a write transaction; writes nothing unless it returns `.marked`.
    static func markSending(
        _ db: Database, commandID id: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?
    ) throws -> SendMark {
        let now = clock.now()
        if let deadline, now > deadline { return .pastDeadline(at: now) }
        guard
            let generation = try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE outbox SET needs_reconcile = 1, updated_at = ?
                         WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                        RETURNING generation
                        """),
                arguments: [now, id, owner])
        else { return .leaseLost }
        try db.cachedStatement(
            sql: """
                INSERT INTO attempt (outbox_id, generation, worker, started_at, outcome, error, request)
                VALUES (?, ?, ?, ?, 'sending', 'request leaving; no answer recorded yet', 'send')
                """
        ).execute(arguments: [id, generation, owner, now])
        return .marked(at: now)
    }

    /// ``markSending(commandID:owner:clock:deadline:durable:)`` at a fixed time; true when marked.
    public func markSending(
        commandID id: Int64, owner: String, now: EpochMillis, deadline: EpochMillis? = nil, durable: Bool
    ) throws -> Bool {
        if case .marked = try markSending(
            commandID: id, owner: owner, clock: FixedWallClock(now), deadline: deadline, durable: durable)
        {
            return true
        }
        return false
    }
}
