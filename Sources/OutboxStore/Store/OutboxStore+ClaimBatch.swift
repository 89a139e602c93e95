import GRDB
import OutboxModel

/// What a claimed command's planning reads: for a follow-up, its sale in this outbox; for a sale,
/// its unfinished follow-ups; for a cancel rollback, also the cancels of the same payment
/// (``OutboxStore/planningContext(for:)``).
public struct PlanningContext: Sendable, Hashable {
    /// The sale a follow-up belongs to, if it is in this outbox (nil for a sale itself).
    public var sale: OutboxCommand?
    /// The related commands, in id order, the command itself left out.
    public var related: [OutboxCommand]

    /// Creates a context.
    public init(sale: OutboxCommand? = nil, related: [OutboxCommand] = []) {
        self.sale = sale
        self.related = related
    }
}

/// What the claimer decided, inside the claim's transaction, for one command it claimed.
public enum ClaimStep: Sendable, Hashable {
    /// Mark it as leaving (``OutboxStore/markSending(commandID:owner:clock:deadline:durable:)``)
    /// in the claim's own transaction, unless `deadline` (epoch ms) has passed by then.
    case markSending(deadline: EpochMillis?)
    /// Only claim it: the caller carries it through its full path.
    case claimOnly
}

/// One command of ``OutboxStore/claimBatch(owner:clock:limit:leaseMillis:decide:)``.
public struct ClaimedCommand: Sendable, Hashable {
    /// The command as claimed (`in_flight`, leased to the claimer).
    public var command: OutboxCommand
    /// Its planning context, read in the claim's transaction.
    public var context: PlanningContext
    /// When it was marked as leaving in that transaction (epoch ms); nil when it was not (the
    /// caller decided `claimOnly`, or the deadline had passed: nothing was written for it).
    public var markedAt: EpochMillis?

    /// A claimed command.
    public init(command: OutboxCommand, context: PlanningContext, markedAt: EpochMillis?) {
        self.command = command
        self.context = context
        self.markedAt = markedAt
    }
}

extension OutboxStore {
    /// Claims up to `limit` due commands for `owner` (lease `leaseMillis` from the claim), reads
    /// each one's ``PlanningContext`` and, for those `decide` says may leave now, marks them as
    /// leaving: all in one `BEGIN IMMEDIATE` transaction, so the common path of a command costs
    /// one write transaction before its request instead of a claim, a planning read and a mark.
    ///
    /// `decide` runs inside the transaction with the command, its context and the time read from
    /// `clock` after the write lock was taken; it must be quick and do no I/O. The mark is the
    /// one ``markSending(commandID:owner:clock:deadline:durable:)`` makes (needs_reconcile and an
    /// open `sending` attempt row), committed under the configured synchronous mode: use it only
    /// for kinds Paywall deduplicates (a kind it does not needs the fsynced mark of
    /// ``markSending(commandID:owner:clock:deadline:durable:)``).
    ///
    /// A read first (on the writer connection, without its lock) says whether anything is due,
    /// so a wake-up with nothing to do costs no write transaction; it also takes the commit
    /// version this claim saw (``CommitWatch/looked(version:)``). Right after a burst of file
    /// events that was news (another connection committed: most likely a producer's command) the
    /// read is left out and the version is read inside the claim's transaction: the pickup goes
    /// straight to its claim. Returned in due order. Throws ``OutboxStoreError``.
    public func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64,
        decide: (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) throws -> [ClaimedCommand] {
        guard limit > 0 else { return [] }
        do {
            return try pool.writeWithoutTransaction { db in
                let news = commitWatch.withLock { $0.takeNews() }
                // The version this claim saw, recorded only once nothing can fail any more: a claim
                // that failed must leave another connection's commit news for the watcher. (The
                // watcher's read needs this writer connection, so it cannot run in between.)
                var seen: Int?
                if !news {
                    // One statement, so one snapshot: the version and what was due in it.
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: Self.versionAndDueSQL), arguments: [clock.now()])
                    seen = row?[0] ?? 0
                    let due: Bool = row?[1] ?? false
                    guard due else {
                        commitWatch.withLock { $0.looked(version: seen ?? 0) }
                        return []
                    }
                }
                let claimed = try asOwnWrite {
                    var claimed: [ClaimedCommand] = []
                    try withoutAutoCheckpoint(db) {
                        try Self.immediateTransaction(db) {
                            if news {
                                // Inside the transaction: every commit before this claim's lock.
                                seen = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
                            }
                            claimed = try Self.claimBatch(
                                db, owner: owner, clock: clock, limit: limit, leaseMillis: leaseMillis, decide: decide)
                        }
                    }
                    return claimed
                }
                if let seen { commitWatch.withLock { $0.looked(version: seen) } }
                return claimed
            }
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
    }

    /// The claim's first read: the writer connection's commit version and whether a pending
    /// command is due at the bound time (reads only `outbox_due`).
    static let versionAndDueSQL = """
        SELECT (SELECT data_version FROM pragma_data_version()), \(dueExists)
        """

    /// ``claimBatch(owner:clock:limit:leaseMillis:decide:)`` inside the caller's write transaction.
    static func claimBatch(
        _ db: Database, owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64,
        decide: (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) throws -> [ClaimedCommand] {
        let now = clock.now()
        let commands = try claim(db, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis)
        return try commands.map { command in
            let context = try planningContext(for: command, db)
            var claimed = ClaimedCommand(command: command, context: context, markedAt: nil)
            let step = decide(command, context, now)
            if case .markSending(let deadline) = step,
                case .marked(let at) = try markSending(
                    db, commandID: command.id, owner: owner, clock: FixedWallClock(now), deadline: deadline)
            {
                claimed.markedAt = at
            }
            return claimed
        }
    }

    /// Records several independent groups, each at its own time, in one transaction (a group
    /// commit): each group is all-or-nothing (several updates in a savepoint; one update is a
    /// single guarded statement, see ``record(_:worker:now:_:)``). Returns, per group, whether
    /// it was applied (false: a precondition no longer held, nothing of it written).
    ///
    /// If the transaction fails (a trigger refusing one group's row, a full disk), nothing is
    /// written and the error is thrown: the caller may record the groups one at a time to find
    /// which one cannot be written. Throws ``OutboxStoreError``.
    public func recordEach(_ groups: [(updates: [CommandUpdate], now: EpochMillis)], worker: String?) throws -> [Bool] {
        guard !groups.isEmpty else { return [] }
        return try write { db in
            try groups.map { group in try Self.record(group.updates, worker: worker, now: group.now, db) }
        }
    }
}

extension OutboxStore {
    /// Runs `body`, one write of this store through its writer connection, counted when it begins
    /// and when it ends (``CommitWatch``). Every path that writes through the writer connection
    /// runs inside it; one that did not would only make the events of its own commit look like
    /// another process's (one claim that finds nothing).
    func asOwnWrite<T>(_ body: () throws -> T) rethrows -> T {
        commitWatch.withLock { $0.ownWritesBegun += 1 }
        defer { commitWatch.withLock { $0.ownWritesDone += 1 } }
        return try body()
    }

    /// For the change watcher, on its own thread, just before it reads a burst of file events:
    /// the count of this store's writes ended so far, to give back to
    /// ``changeBurstNeedsRead(ownWritesDoneBefore:)``.
    public func changeBurstBegins() -> Int {
        commitWatch.withLock { $0.ownWritesDone }
    }

    /// For the change watcher, on its own thread, after it read a burst of events touching the
    /// database's files, having taken `doneBefore` from ``changeBurstBegins()`` just before: false
    /// when the burst cannot be this store's (another connection's commit, or a producer's INSERT
    /// made through this store: news without a read), true when it may be and
    /// ``lockedReadSaysNews()`` must decide (``CommitWatch``).
    public func changeBurstNeedsRead(ownWritesDoneBefore doneBefore: Int) -> Bool {
        commitWatch.withLock { $0.burstRead(ownWritesDoneBefore: doneBefore) } == .readVersion
    }

    /// Whether another connection committed since the highest commit version this store has seen:
    /// `PRAGMA data_version` read on the writer connection inside an empty `BEGIN IMMEDIATE` …
    /// `ROLLBACK`, which writes nothing and so wakes nobody. Holding the write lock, it cannot read
    /// before a commit whose first WAL write woke the watcher has ended. It never waits for that
    /// lock: while another connection holds it (a producer or another worker writing), the answer
    /// is true at once, and the claim that follows waits for the lock and sees the commit. Waiting
    /// here, in the busy handler (``BusyWait``: sleeps of 0.05, 0.1, 0.2 … ms), would hold the
    /// store's own commits queued behind it when several workers share the file. Any other failure
    /// also says true.
    public func lockedReadSaysNews() -> Bool {
        do {
            let version = try pool.writeWithoutTransaction { db -> Int? in
                // Cached statements: GRDB's inTransaction prepares BEGIN and ROLLBACK each time,
                // and this runs after nearly every commit of the worker.
                try withBusyTimeout(0, db) {
                    do {
                        try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                        return nil
                    }
                    do {
                        let version = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
                        try db.cachedStatement(sql: "ROLLBACK").execute()
                        return version
                    } catch {
                        if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                        throw error
                    }
                }
            }
            guard let version else { return true }
            return commitWatch.withLock { $0.compare(version) }
        } catch {
            return true
        }
    }
}

extension OutboxStore {
    /// Takes back the mark of a command `owner` marked as leaving and then did not send (a last
    /// check before its request failed: its deadline passed, dispatch paused, a Retry-After hold
    /// began): its open `sending` attempt row is deleted, `needs_reconcile` goes back to
    /// `needsReconcile` (its value before the mark), and `update` is recorded, all in one
    /// transaction guarded by the lease. So nothing says a request may have left when none did.
    /// Returns false, changing nothing, when the lease is no longer `owner`'s. Throws
    /// ``OutboxStoreError``.
    public func withdrawMark(
        commandID id: Int64, owner: String, needsReconcile: Bool, then update: CommandUpdate, now: EpochMillis
    ) throws -> Bool {
        try write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET needs_reconcile = ?
                     WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                    """
            ).execute(arguments: [needsReconcile ? 1 : 0, id, owner])
            guard db.changesCount == 1 else { return false }
            try db.cachedStatement(
                sql: "DELETE FROM attempt WHERE outbox_id = ? AND request = 'send' AND outcome = 'sending' AND worker IS ?"
            ).execute(arguments: [id, owner])
            return try Self.record([update], worker: owner, now: now, db)
        }
    }
}
