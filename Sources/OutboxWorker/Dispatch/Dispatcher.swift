import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import ServiceLifecycle

/// The worker's one loop: wakes on database changes (inotify) or its idle tick, claims what is
/// due up to the concurrency limit, runs each claimed command in a bounded task group, and does
/// the housekeeping (expired leases, lease extension, heartbeat, WAL checkpoint).
struct Dispatcher {
    let worker: OutboxWorker

    enum Event: Sendable {
        case wake, tick, done, stop, graceOver
    }

    func run() async throws {
        let configuration = worker.configuration
        let clock = worker.clock
        let owner = configuration.workerID
        let state = DispatchState(breaker: CircuitBreaker(backoff: configuration.breakerBackoff))
        let processor = CommandProcessor(worker: worker, state: state)
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        let watcher = ChangeWatcher(databasePath: configuration.store.path)
        watcher?.start { continuation.yield(.wake) }
        defer { watcher?.stop() }
        var house = Housekeeping(worker: worker, state: state, startedAt: clock.now())
        house.beat(status: "running", force: true)
        worker.logger.info(
            "Worker started",
            metadata: [
                "outbox.concurrency": "\(configuration.concurrency)", "outbox.db": "\(configuration.store.path)",
                "outbox.change_notifications": "\(watcher != nil)",
            ])

        // A condition the worker must stop on (exit 74 through the store error): its database
        // file replaced or deleted, or writes failing for longer than `writeFailureLimit`.
        var fatal: OutboxStoreError?
        await withGracefulShutdownHandler {
            // A discarding group: each finished command task is freed at once. (A plain task group
            // keeps every finished child until `next()` collects it: ~32 KB per command, for ever.)
            await withDiscardingTaskGroup { group in
                let tick = Duration.milliseconds(configuration.idlePollMillis)
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        continuation.yield(.tick)
                    }
                }
                var stopping = false
                var running = 0
                func fill() {
                    guard !stopping else { return }
                    // Before claiming: other workers' Retry-After holds, at most every 100 ms
                    // (a worker that just started must not send into a hold it has not read).
                    try? state.refreshHolds(from: worker.store, now: clock.now(), ifOlderThan: 100)
                    while running < configuration.concurrency {
                        let now = clock.now()
                        let allowance = state.value.withLock { $0.breaker.allowance(now: now) }
                        let limit: Int
                        switch allowance {
                        case .any: limit = configuration.concurrency - running
                        case .probe: limit = 1
                        case .none: limit = configuration.concurrency - running
                        }
                        let claimed: [OutboxCommand]
                        do {
                            if case .none = allowance {
                                // Paused: nothing is sent, but never-sent commands past their
                                // deadline still end `expired` on time (the planner's first gate).
                                claimed = try worker.store.claimOverdue(
                                    owner: owner, now: now, limit: limit, leaseMillis: configuration.leaseMillis,
                                    defaultDeadlines: Dictionary(
                                        uniqueKeysWithValues: configuration.deadlines.map { ($0.key.rawValue, $0.value) }))
                            } else {
                                claimed = try worker.store.claim(
                                    owner: owner, now: now, limit: limit, leaseMillis: configuration.leaseMillis)
                            }
                        } catch {
                            worker.logger.error("Claim failed", metadata: ["outbox.error": "\(error)"])
                            return
                        }
                        if claimed.isEmpty { return }
                        if allowance == .probe { state.value.withLock { $0.breaker.probeStarted() } }
                        let isProbe = allowance == .probe
                        for command in claimed {
                            running += 1
                            state.value.withLock { _ = $0.inFlight.insert(command.id) }
                            group.addTask {
                                await processor.process(command)
                                state.value.withLock {
                                    _ = $0.inFlight.remove(command.id)
                                    // Whatever path the probe took, it is over: if it said nothing
                                    // about Paywall, the next command probes (never stuck half-open).
                                    if isProbe { $0.breaker.probeFinishedWithoutSignal() }
                                }
                                continuation.yield(.done)
                            }
                        }
                        if allowance == .probe { return }
                    }
                }
                fill()
                loop: for await event in events {
                    switch event {
                    case .done:
                        running -= 1
                        if stopping && running == 0 { break loop }
                    case .tick:
                        if let problem = house.tick(now: clock.now()) {
                            worker.logger.critical(
                                "Stopping: the database cannot be used any more (a supervisor restart reopens it)",
                                metadata: ["outbox.error": "\(problem)", "outbox.db": "\(configuration.store.path)"])
                            fatal = problem
                            break loop
                        }
                    case .wake:
                        break
                    case .stop:
                        stopping = true
                        house.beat(status: "stopping", force: true)
                        worker.logger.notice("Stopping: no new claims", metadata: ["outbox.in_flight": "\(running)"])
                        if running == 0 { break loop }
                        let grace = Duration.milliseconds(configuration.shutdownGraceMillis)
                        group.addTask {
                            try? await Task.sleep(for: grace)
                            continuation.yield(.graceOver)
                        }
                    case .graceOver:
                        worker.logger.warning(
                            "Shutdown grace over: cancelling in-flight sends (they will be reconciled)",
                            metadata: ["outbox.in_flight": "\(running)"])
                        group.cancelAll()
                    }
                    fill()
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.yield(.stop)
        }
        continuation.finish()
        if let fatal { throw fatal }
        house.beat(status: "stopped", force: true)
        worker.logger.info("Worker stopped")
    }
}

/// The periodic chores, done from the loop on its idle tick.
struct Housekeeping {
    let worker: OutboxWorker
    let state: DispatchState
    let startedAt: EpochMillis
    var lastBeat: EpochMillis = 0
    var lastState = ""
    var lastPauseReason: String?
    var lastExtend: EpochMillis = 0
    var lastCheckpoint: EpochMillis = 0
    var checkpointAt: EpochMillis?
    var walPages: Int?
    /// The wall clock and the monotonic clock at the last tick, to notice the wall clock stepping.
    var lastWall: EpochMillis?
    var lastMonotonic = ContinuousClock.now
    /// Since when (monotonic) housekeeping writes have been failing without a success between.
    var failingSince: ContinuousClock.Instant?
    /// How long writes may keep failing (disk full, a size limit) before the worker exits 74.
    static let writeFailureLimit = Duration.seconds(30)

    init(worker: OutboxWorker, state: DispatchState, startedAt: EpochMillis) {
        self.worker = worker
        self.state = state
        self.startedAt = startedAt
    }

    /// A backward step of the wall clock (NTP, a VM resumed) by more than a second: move every
    /// stored future time back by the step (``OutboxStore/shiftSchedules(backBy:now:)``) and the
    /// breaker's probe time too, so nothing waits for the length of the step.
    mutating func noticeClockStep(now: EpochMillis) {
        let monotonic = ContinuousClock.now
        defer {
            lastWall = now
            lastMonotonic = monotonic
        }
        // Only the system clock flows with the monotonic one (a test's manual clock does not).
        guard let lastWall, worker.clock is SystemWallClock else { return }
        let elapsed = monotonic - lastMonotonic
        guard
            let back = ClockStep.backward(
                lastWall: lastWall, now: now,
                elapsedMillis: elapsed.wholeMilliseconds)
        else { return }
        worker.logger.warning("The wall clock stepped back; moving stored due times back", metadata: ["outbox.step_ms": "\(back)"])
        _ = try? worker.store.shiftSchedules(backBy: back, now: now)
        state.value.withLock {
            $0.breaker.shift(backBy: back)
            $0.holds = $0.holds.mapValues { $0 - back }
        }
    }

    /// Does the chores; returns a problem the worker must stop on, or nil.
    mutating func tick(now: EpochMillis) -> OutboxStoreError? {
        let configuration = worker.configuration
        if let problem = worker.store.fileProblem() {
            return OutboxStoreError(.notFound, problem)
        }
        noticeClockStep(now: now)
        do {
            let held = Array(state.value.withLock { $0.inFlight })
            let released = try worker.store.releaseExpiredLeases(now: now, sparing: held)
            if !released.isEmpty {
                worker.logger.warning(
                    "Expired leases returned for reconciliation", metadata: ["outbox.command.ids": "\(released)"])
            }
            try state.refreshHolds(from: worker.store, now: now)
            if now - lastExtend >= configuration.leaseMillis / 3 {
                lastExtend = now
                let ids = Array(state.value.withLock { $0.inFlight })
                _ = try worker.store.extendLeases(
                    ids: ids, owner: configuration.workerID, until: now + configuration.leaseMillis, now: now)
            }
            if now - lastCheckpoint >= 10_000 {
                lastCheckpoint = now
                let result = try worker.store.checkpoint(truncate: false)
                checkpointAt = now
                walPages = result.walPages
            }
            failingSince = nil
        } catch {
            let since = failingSince ?? ContinuousClock.now
            failingSince = since
            worker.logger.error("Housekeeping failed", metadata: ["outbox.error": "\(error)"])
            if ContinuousClock.now - since >= Self.writeFailureLimit {
                return OutboxStoreError(
                    .sqlite, "database writes have failed for \(Self.writeFailureLimit) (last: \(error))")
            }
        }
        beat(status: nil, force: false, now: now)
        return nil
    }

    mutating func beat(status: String?, force: Bool, now: EpochMillis? = nil) {
        let now = now ?? worker.clock.now()
        let breaker = state.breaker
        var beat = WorkerHeartbeat(
            state: status ?? "running", startedAt: startedAt,
            inFlight: state.value.withLock { $0.inFlight.count }, checkpointAt: checkpointAt, walPages: walPages)
        if status == nil {
            switch breaker.state {
            case .closed: break
            case .open(let until, let reason, let since, _):
                beat.state = "paused"
                beat.pauseReason = reason
                beat.pausedSince = since
                beat.nextProbeAt = until
            case .halfOpen(let reason, let since, _, _):
                beat.state = "paused"
                beat.pauseReason = reason
                beat.pausedSince = since
                beat.nextProbeAt = now
            }
        }
        // A pause or its end is written at once, so operators see it without waiting a beat.
        let changed = beat.state != lastState || beat.pauseReason != lastPauseReason
        guard force || changed || now - lastBeat >= 2_000 else { return }
        lastBeat = now
        lastState = beat.state
        lastPauseReason = beat.pauseReason
        do {
            try worker.store.heartbeat(worker: worker.configuration.workerID, beat, now: now)
        } catch {
            worker.logger.error("Heartbeat failed", metadata: ["outbox.error": "\(error)"])
        }
    }
}
