import OutboxModel

/// The SQLite implementation of the store contract: ``OutboxStore`` (one WAL-mode file shared by
/// producers, workers and operators) behind ``WorkerStore``.
///
/// The drain's hot writes (``claimBatch(owner:clock:limit:leaseMillis:callerIdle:decide:)``,
/// ``recordEach(_:worker:)``) run on one serial queue of their own (``StoreExecutor``): the caller
/// suspends while SQLite waits for its write lock, instead of blocking a thread of Swift's small
/// cooperative pool. SQLite has one writer at a time anyway. A claim goes before group commits
/// still waiting: free request slots wait on it, while a commit's answers are already in hand. A
/// claim from a caller with nothing else under way (`callerIdle`) runs at once on the caller's
/// thread when that queue is idle too, and the change watcher's commit-version read runs on the
/// watcher's own thread when the queue is idle, else in its turn on the queue. The other calls are
/// short and run on the caller's thread, as they always did.
public struct SQLiteWorkerStore: WorkerStore, LocalFileStorage {
    /// The SQLite store underneath (tests and the `worker` binary's demo read it directly).
    public let store: OutboxStore
    private let executor: StoreExecutor

    /// Wraps an opened store.
    public init(_ store: OutboxStore) {
        self.store = store
        self.executor = StoreExecutor()
    }

    /// Opens (creating and migrating as `configuration` says) the SQLite file and wraps it.
    /// Throws ``OutboxStoreError``.
    public init(_ configuration: OutboxStoreConfiguration) throws {
        self.init(try OutboxStore(configuration))
    }

    /// On the executor's first lane; on the calling thread when the caller is idle and so is the
    /// executor (``StoreExecutor/runInlineIfIdle(_:)``).
    public func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64, callerIdle: Bool,
        decide: @escaping @Sendable (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) async throws -> [ClaimedCommand] {
        let store = store
        let claim: @Sendable () throws -> [ClaimedCommand] = {
            try store.claimBatch(owner: owner, clock: clock, limit: limit, leaseMillis: leaseMillis, decide: decide)
        }
        return try await callerIdle ? executor.runInlineIfIdle(claim) : executor.run(.first, claim)
    }

    public func claimOverdue(
        owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64, defaultDeadlines: [String: Int64]
    ) async throws -> [OutboxCommand] {
        try store.claimOverdue(
            owner: owner, now: now, limit: limit, leaseMillis: leaseMillis, defaultDeadlines: defaultDeadlines)
    }

    public func planningContext(for command: OutboxCommand) async throws -> PlanningContext {
        try store.planningContext(for: command)
    }

    public func markSending(
        commandID: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?, durable: Bool
    ) async throws -> OutboxStore.SendMark {
        try store.markSending(commandID: commandID, owner: owner, clock: clock, deadline: deadline, durable: durable)
    }

    public func withdrawMark(
        commandID: Int64, owner: String, needsReconcile: Bool, then update: CommandUpdate, now: EpochMillis
    ) async throws -> Bool {
        try store.withdrawMark(commandID: commandID, owner: owner, needsReconcile: needsReconcile, then: update, now: now)
    }

    public func release(ids: [Int64], owner: String, dueAt: EpochMillis?, now: EpochMillis) async throws -> Int {
        try store.release(ids: ids, owner: owner, dueAt: dueAt, now: now)
    }

    public func extendLeases(ids: [Int64], owner: String, until: EpochMillis, now: EpochMillis) async throws -> [Int64] {
        try store.extendLeases(ids: ids, owner: owner, until: until, now: now)
    }

    public func hasLiveWork() async throws -> Bool { try store.hasLiveWork() }

    public func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64]) async throws -> [Int64] {
        try store.releaseExpiredLeases(now: now, sparing: held)
    }

    public func recordEach(_ groups: [(updates: [CommandUpdate], now: EpochMillis)], worker: String?) async throws
        -> [Bool]
    {
        let store = store
        return try await executor.run { try store.recordEach(groups, worker: worker) }
    }

    public func command(id: Int64) async throws -> OutboxCommand? { try store.command(id: id) }

    public func sendHistory(commandID: Int64) async throws -> SendHistory { try store.sendHistory(commandID: commandID) }

    public func setHold(credentials: String, until: EpochMillis, reason: String, by worker: String, now: EpochMillis)
        async throws
    {
        try store.setHold(credentials: credentials, until: until, reason: reason, by: worker, now: now)
    }

    public func sharedDispatch(now: EpochMillis, maxHoldMillis: Int64) async throws
        -> (holds: [String: EpochMillis], pause: PublishedPause?)
    {
        try store.sharedDispatch(now: now, maxHoldMillis: maxHoldMillis)
    }

    public func publishPause(_ pause: PublishedPause, by worker: String, now: EpochMillis) async throws {
        try store.publishPause(pause, by: worker, now: now)
    }

    public func clearPause(answeredAt: EpochMillis) async throws -> Bool { try store.clearPause(answeredAt: answeredAt) }

    public func shiftSchedules(backBy millis: Int64, now: EpochMillis, by worker: String?) async throws -> Int {
        try store.shiftSchedules(backBy: millis, now: now, by: worker)
    }

    public func heartbeat(worker: String, _ beat: WorkerHeartbeat, now: EpochMillis) async throws {
        try store.heartbeat(worker: worker, beat, now: now)
    }

    public func claimDueFollows(now: EpochMillis, limit: Int, leaseMillis: Int64) async throws -> [PaymentFollow] {
        try store.claimDueFollows(now: now, limit: limit, leaseMillis: leaseMillis)
    }

    public func recordFollow(_ update: FollowUpdate, now: EpochMillis) async throws -> [PaymentStatusEvent] {
        try store.recordFollow(update, now: now)
    }

    public func recordCallbackStatus(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, event: PaymentStatusEvent,
        pollBy: EpochMillis, now: EpochMillis
    ) async throws -> CallbackRecording {
        try store.recordCallbackStatus(
            paymentRequestId: paymentRequestId, activity: activity, activityId: activityId, event: event,
            pollBy: pollBy, now: now)
    }

    public func pollSoon(paymentRequestId: String, activity: FollowedActivity, at: EpochMillis) async throws {
        try store.pollSoon(paymentRequestId: paymentRequestId, activity: activity, at: at)
    }

    public func followSummary() async throws -> FollowSummary { try store.followSummary() }

    public func queueCensus(now: EpochMillis) async throws -> QueueCensus { try store.queueCensus(now: now) }

    public func readinessFacts(worker: String) async throws -> ReadinessFacts { try store.readinessFacts(worker: worker) }

    public var latestSchemaVersion: Int { OutboxStore.latestSchemaVersion }

    public var location: String { store.configuration.path }

    public var localFile: (any LocalFileStorage)? { self }

    // MARK: LocalFileStorage

    public var path: String { store.configuration.path }

    public func fileProblem() -> String? { store.fileProblem() }

    public func checkpoint(_ mode: OutboxStore.CheckpointMode) async throws -> OutboxStore.CheckpointResult {
        try store.checkpoint(mode)
    }

    public func storageSizes() -> (databaseBytes: Int64?, walBytes: Int64?) { store.storageSizes() }

    public func changeBurstBegins() -> Int { store.changeBurstBegins() }

    /// Whether a burst of file events may carry another connection's commit (``CommitWatch``): no
    /// read when it cannot be this store's; otherwise the read under the write lock, on the
    /// calling thread when the executor is idle, else in its turn on the executor's queue.
    public func changeBurstIsNews(ownWritesDoneBefore done: Int) -> Bool {
        guard store.changeBurstNeedsRead(ownWritesDoneBefore: done) else { return true }
        let store = store
        return executor.runBlocking { store.lockedReadSaysNews() }
    }
}
