import OutboxModel

/// The store contract: everything the worker asks of the outbox database, and nothing else.
///
/// The worker receives one (``SQLiteWorkerStore`` over the SQLite file, ``MemoryWorkerStore``
/// for fast tests) and never builds one. Every method is `async` so an engine reached over the
/// network can sit behind it; an implementation documents which calls may block.
///
/// What every implementation promises (the contract suite, `WorkerStoreContractTests`, checks
/// each one against every implementation):
/// - **Claims are never double-issued.** A command claimed by one owner is not claimed by
///   another until its lease is released, expires, or it is recorded.
/// - **A record is atomic.** A group of ``CommandUpdate``s changes the command rows, their attempt
///   history and their inbox rows together or not at all, and only while each update's
///   ``CommandUpdate/Precondition`` holds.
/// - **A mark is what reconciliation needs.** A command marked as leaving (``markSending(commandID:owner:clock:deadline:durable:)``,
///   or a ``ClaimStep/markSending(deadline:)`` in ``claimBatch(owner:clock:limit:leaseMillis:decide:)``)
///   carries `needs_reconcile` from then on, so a crash between the request and its record leaves
///   it to be asked about, never resent blind.
/// - **Times are epoch milliseconds passed in** (`now`), so the rules follow the injected clock.
///
/// Errors are ``OutboxStoreError``.
public protocol WorkerStore: Sendable {
    // MARK: Claims and leases

    /// Claims up to `limit` due commands for `owner` with a lease of `leaseMillis`, reads each
    /// one's ``PlanningContext`` and marks as leaving those `decide` says may go now, in one
    /// transaction. `decide` runs inside it, with the time read from `clock` once the claim holds
    /// the write lock; it must be quick and do no I/O. Returned in due order. `callerIdle`: the
    /// caller has nothing else under way (no command in flight or recording), so an engine that
    /// hands its writes to a queue of its own may run this one on the calling thread instead
    /// (SQLite, when that queue is idle too; the other engines ignore it).
    func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64, callerIdle: Bool,
        decide: @escaping @Sendable (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) async throws -> [ClaimedCommand]

    /// Claims up to `limit` never-sent pending commands already past their deadline
    /// (`defaultDeadlines`: kind name → ms after `created_at`, for rows without `deadline_at`),
    /// so a paused worker still ends them `expired` on time.
    func claimOverdue(
        owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64, defaultDeadlines: [String: Int64]
    ) async throws -> [OutboxCommand]

    /// What the planner needs to know about a command's relatives (its sale, its follow-ups).
    func planningContext(for command: OutboxCommand) async throws -> PlanningContext

    /// Marks a leased command as leaving (needs_reconcile and an open `sending` attempt), unless
    /// `deadline` has passed by the time read from `clock` inside the transaction. `durable`
    /// asks for a mark that survives power loss (the kinds Paywall does not deduplicate).
    func markSending(
        commandID: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?, durable: Bool
    ) async throws -> OutboxStore.SendMark

    /// Takes back a mark whose request never left and records `update` in the same transaction.
    func withdrawMark(
        commandID: Int64, owner: String, needsReconcile: Bool, then update: CommandUpdate, now: EpochMillis
    ) async throws -> Bool

    /// Gives leased commands back to the queue (due at `dueAt`, or at once). Returns how many.
    func release(ids: [Int64], owner: String, dueAt: EpochMillis?, now: EpochMillis) async throws -> Int

    /// Extends `owner`'s leases on `ids` to `until`; returns the ids still held.
    func extendLeases(ids: [Int64], owner: String, until: EpochMillis, now: EpochMillis) async throws -> [Int64]

    /// Whether any command is pending or in flight, or any payment is still followed: the only
    /// rows from which time alone can make work (``QuietTicks`` in the worker).
    func hasLiveWork() async throws -> Bool

    /// Returns every lease expired at `now` (except `held`) to the queue; returns their ids.
    func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64]) async throws -> [Int64]

    // MARK: Recording

    /// Records several independent groups; each is all-or-nothing. Returns, per group, whether
    /// it was applied. Outcomes are durable (under the configured synchronous mode) on return.
    func recordEach(_ groups: [(updates: [CommandUpdate], now: EpochMillis)], worker: String?) async throws -> [Bool]

    /// One command by row id.
    func command(id: Int64) async throws -> OutboxCommand?

    /// What the history says about a command's sends (for reconciliation).
    func sendHistory(commandID: Int64) async throws -> SendHistory

    // MARK: What workers share

    /// Records a Retry-After hold on `credentials` until `until` (never shortened).
    func setHold(credentials: String, until: EpochMillis, reason: String, by worker: String, now: EpochMillis)
        async throws

    /// Every worker's Retry-After holds still on at `now`, and a published pause.
    func sharedDispatch(now: EpochMillis, maxHoldMillis: Int64) async throws
        -> (holds: [String: EpochMillis], pause: PublishedPause?)

    /// Publishes this worker's dispatch pause for the others.
    func publishPause(_ pause: PublishedPause, by worker: String, now: EpochMillis) async throws

    /// Clears a published pause set at or before `answeredAt`; true when one was cleared.
    func clearPause(answeredAt: EpochMillis) async throws -> Bool

    /// Moves every stored future time back by `millis` (a wall-clock step back); returns rows moved.
    func shiftSchedules(backBy millis: Int64, now: EpochMillis, by worker: String?) async throws -> Int

    /// Writes this worker's heartbeat row.
    func heartbeat(worker: String, _ beat: WorkerHeartbeat, now: EpochMillis) async throws

    // MARK: Following payments

    /// Claims up to `limit` followed activities whose read is due.
    func claimDueFollows(now: EpochMillis, limit: Int, leaseMillis: Int64) async throws -> [PaymentFollow]

    /// Records a read of a followed activity; returns the `payment_status` events written.
    func recordFollow(_ update: FollowUpdate, now: EpochMillis) async throws -> [PaymentStatusEvent]

    /// Records what a verified callback said (see ``OutboxStore/recordCallbackStatus(paymentRequestId:activity:activityId:event:pollBy:now:)``).
    func recordCallbackStatus(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, event: PaymentStatusEvent,
        pollBy: EpochMillis, now: EpochMillis
    ) async throws -> CallbackRecording

    /// Brings a followed activity's next read forward to `at`.
    func pollSoon(paymentRequestId: String, activity: FollowedActivity, at: EpochMillis) async throws

    /// How many payments are followed.
    func followSummary() async throws -> FollowSummary

    // MARK: Monitoring

    /// Commands per state and kind, the oldest due time, the reconcile backlog.
    func queueCensus(now: EpochMillis) async throws -> QueueCensus

    /// What `/ready` needs: schema version and this worker's heartbeat.
    func readinessFacts(worker: String) async throws -> ReadinessFacts

    /// The newest schema version this implementation knows.
    var latestSchemaVersion: Int { get }

    /// Where the store lives, for logs (a file path; never a password).
    var location: String { get }

    /// The local file behind the store, when there is one (SQLite): its WAL checkpoints, sizes,
    /// identity and change notifications. Nil for a store with no local file.
    var localFile: (any LocalFileStorage)? { get }

    /// Wake-ups when another process may have queued work (PostgreSQL: LISTEN on the channel a
    /// producer's INSERT notifies), until the consumer stops iterating; nil when the engine has
    /// none of its own (SQLite: the worker watches the file; memory: the idle tick).
    func changeNotifications() -> AsyncStream<Void>?
}

extension WorkerStore {
    /// ``claimBatch(owner:clock:limit:leaseMillis:callerIdle:decide:)`` from a caller that may
    /// have other work under way.
    public func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64,
        decide: @escaping @Sendable (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) async throws -> [ClaimedCommand] {
        try await claimBatch(
            owner: owner, clock: clock, limit: limit, leaseMillis: leaseMillis, callerIdle: false, decide: decide)
    }
}

extension WorkerStore {
    /// None by default.
    public func changeNotifications() -> AsyncStream<Void>? { nil }

    /// Records one all-or-nothing group; false (nothing written) when a precondition failed.
    @discardableResult
    public func record(_ group: [CommandUpdate], worker: String?, now: EpochMillis) async throws -> Bool {
        try await recordEach([(group, now)], worker: worker)[0]
    }

    /// ``sharedDispatch(now:maxHoldMillis:)`` with holds older than an hour ignored.
    public func sharedDispatch(now: EpochMillis) async throws -> (holds: [String: EpochMillis], pause: PublishedPause?) {
        try await sharedDispatch(now: now, maxHoldMillis: 3_600_000)
    }
}

/// The chores of a store kept in a local file (SQLite in WAL mode): checkpoints, file sizes,
/// and noticing the file was replaced. The worker's housekeeping runs them when its store has one.
public protocol LocalFileStorage: Sendable {
    /// The file's path (for the change watcher and logs).
    var path: String { get }
    /// Why the file can no longer be used (deleted, replaced), or nil.
    func fileProblem() -> String?
    /// Runs a WAL checkpoint.
    func checkpoint(_ mode: OutboxStore.CheckpointMode) async throws -> OutboxStore.CheckpointResult
    /// The database and WAL file sizes in bytes (nil when a file is missing).
    func storageSizes() -> (databaseBytes: Int64?, walBytes: Int64?)
    /// For the change watcher, on its own thread, just before it reads a burst of file events: a
    /// mark to give back to ``changeBurstIsNews(ownWritesDoneBefore:)``.
    func changeBurstBegins() -> Int
    /// For the change watcher, on its own thread, after a burst of events touching the database's
    /// files: whether another connection may have committed (the dispatcher is woken to claim);
    /// false only when the store is sure that only its own writes happened. May block the calling
    /// thread on the database (a read under the write lock, perhaps waiting its turn on the store's
    /// writer queue): call it from a thread of its own, never from that queue or Swift's
    /// cooperative pool.
    func changeBurstIsNews(ownWritesDoneBefore: Int) -> Bool
}
