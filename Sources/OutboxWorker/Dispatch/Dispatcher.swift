import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import ServiceLifecycle

/// The worker's one loop: wakes on database changes (inotify) or its idle tick, claims what is
/// due up to the concurrency limit, runs each claimed command in a bounded task group, and does
/// the housekeeping (expired leases, lease extension, heartbeat, WAL checkpoint). It tells the
/// supervisor through ``WorkerLifecycleHooks``: ready before its first claim, stopping when
/// shutdown begins, and a watchdog ping handled by the loop itself, so a loop that hangs (not
/// one that is paused) stops pinging.
struct Dispatcher {
    let worker: OutboxWorker

    enum Event: Sendable {
        case wake, tick, readDone, stop, graceOver, watchdog
        /// A command task's ``RequestSlot`` is free (Paywall answered); the task still records.
        case slotFreed
        /// A command task ended; `heldSlot`: it still held its slot (it never freed it early).
        case done(heldSlot: Bool)
    }

    /// How often, at most, the loop looks for payment reads that are due when the last look
    /// found none or fewer than it could take (ms): a payment's first read is due 2 s after its
    /// command, so this costs pickup nothing that matters and keeps the look off every command's
    /// completion.
    static let followLook = Duration.milliseconds(200)

    func run() async throws {
        let configuration = worker.configuration
        let clock = worker.clock
        let owner = configuration.workerID
        let store = worker.store
        let logger = worker.logger
        let state = DispatchState(
            breaker: CircuitBreaker(backoff: configuration.breakerBackoff),
            publisher: { await DispatchState.publish($0, to: store, worker: owner, logger: logger) },
            announcer: { DispatchState.announce($0, logger: logger) })
        let processor = CommandProcessor(worker: worker, state: state)
        let follower = PaymentFollower(worker: worker, processor: processor)
        let readSlots = configuration.follow.readSlots(concurrency: configuration.concurrency)
        worker.metrics?.watch(state)
        let continuation = EventMailbox<Event>()
        let file = store.localFile
        let watcher = file.flatMap { ChangeWatcher(databasePath: $0.path) }
        if let file, let watcher { watcher.start(filter: file) { continuation.yield(.wake) } }
        defer { watcher?.stop() }
        let notifications = store.changeNotifications()
        var house = Housekeeping(worker: worker, state: state, startedAt: clock.now())
        await house.beat(status: "running", force: true)
        worker.logger.info(
            "Worker started",
            metadata: [
                "outbox.concurrency": "\(configuration.concurrency)", "outbox.db": "\(store.location)",
                "outbox.change_notifications": "\(watcher != nil || notifications != nil)",
            ])
        worker.lifecycle.ready()

        // A condition the worker must stop on (exit 74 through the store error): its database
        // file replaced or deleted, or writes failing for longer than `writeFailureLimit`.
        var fatal: OutboxStoreError?
        var totals = (claims: 0, claimed: 0)
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
                if let notifications {
                    // The engine's own wake-ups (PostgreSQL's LISTEN/NOTIFY, across machines).
                    group.addTask {
                        for await _ in notifications { continuation.yield(.wake) }
                    }
                }
                if let watchdog = worker.lifecycle.watchdog {
                    // Only a request: the ping itself is sent when the loop takes the event.
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: watchdog.interval)
                            continuation.yield(.watchdog)
                        }
                    }
                }
                var stopping = false
                // Command tasks holding a request slot (counted against --concurrency), and
                // those whose request was answered that are still recording (RequestSlot).
                var running = 0
                var recording = 0
                var reading = 0
                // No task left that the loop must wait for at shutdown.
                func nothingLeft() -> Bool { running == 0 && recording == 0 && reading == 0 }
                // No command under way (payment reads write on their own tasks): a claim then may
                // run on this thread, and a lone command it claims may start here.
                func noCommandUnderWay() -> Bool { running == 0 && recording == 0 }
                // Real time, not the injected clock: a throttle, not a rule (a test clock that stands
                // still or steps back must not stop the reads).
                var nextFollowLook = ContinuousClock.now
                // Idle ticks with nothing live in the store only check the file (QuietTicks); only
                // when commits wake the worker (without a watcher, ticks are how it finds them).
                var quietTicks = QuietTicks(enabled: watcher != nil || notifications != nil)
                // Claims that returned commands, and the commands they returned (the stop line).
                var claims = 0
                var claimedTotal = 0
                // Payment reads (FollowRule) in their own slots, never in a command's: only when
                // the breaker lets everything through and no Retry-After hold is on, so they back
                // off first and a burst of new commands never waits for them.
                func fillReads() async {
                    // Sends first: while every send slot is busy (a backlog is draining), one read
                    // at a time keeps following alive without taking the database from the drain.
                    let slots = running >= configuration.concurrency ? 1 : readSlots
                    guard !stopping, configuration.follow.enabled, reading < slots else { return }
                    let now = clock.now()
                    guard ContinuousClock.now >= nextFollowLook, case .any = state.value.withLock({ $0.breaker.allowance(now: now) }),
                        state.heldUntil(PaymentFollower.credentials, now: now) == nil
                    else { return }
                    let due: [PaymentFollow]
                    do {
                        due = try await worker.store.claimDueFollows(
                            now: now, limit: slots - reading, leaseMillis: configuration.leaseMillis)
                    } catch {
                        worker.logger.error("Claiming payment reads failed", metadata: ["outbox.error": "\(error)"])
                        nextFollowLook = ContinuousClock.now + Self.followLook
                        return
                    }
                    if reading + due.count < slots { nextFollowLook = ContinuousClock.now + Self.followLook }
                    for follow in due {
                        reading += 1
                        group.addTask {
                            await follower.poll(follow)
                            continuation.yield(.readDone)
                        }
                    }
                }
                // The last claim took as many commands as it was allowed, failed, or was not a
                // claim of everything due (paused, probing, ramping): more may be due, so a slot
                // freed by an answer is filled at once. Otherwise it took all that was due, and a
                // freed slot waits for the next event that can bring work.
                var backlogMayWait = true
                func fillCommands() async {
                    guard !stopping else { return }
                    // Before claiming: other workers' Retry-After holds, at most every 100 ms
                    // (a worker that just started must not send into a hold it has not read).
                    try? await state.refreshShared(from: worker.store, now: clock.now(), ifOlderThan: 100)
                    while running < configuration.concurrency {
                        let now = clock.now()
                        let allowance = state.value.withLock { $0.breaker.allowance(now: now) }
                        let limit: Int
                        switch allowance {
                        case .any: limit = configuration.concurrency - running
                        case .probe: limit = 1
                        case .limited(let ramp): limit = min(ramp, configuration.concurrency) - running
                        case .none: limit = configuration.concurrency - running
                        }
                        if limit <= 0 {
                            backlogMayWait = true
                            return
                        }
                        let claimed: [(command: OutboxCommand, context: PlanningContext?, marked: Bool)]
                        var requests: [Int64: ReadySend] = [:]
                        do {
                            if case .none = allowance {
                                // Paused: nothing is sent, but never-sent commands past their
                                // deadline still end `expired` on time (the planner's first gate).
                                claimed = try await worker.store.claimOverdue(
                                    owner: owner, now: now, limit: limit, leaseMillis: configuration.leaseMillis,
                                    defaultDeadlines: Dictionary(
                                        uniqueKeysWithValues: configuration.deadlines.map { ($0.key.rawValue, $0.value) })
                                ).map { ($0, nil, false) }
                            } else {
                                // Claimed, planned and (what may leave at once) marked as leaving
                                // in one transaction (FastLane).
                                let lane = FastLane(processor: processor, breaker: state.breakerView)
                                // No command under way (a trickle's pickup; payment reads
                                // write on their own tasks): the claim may run on this thread
                                // (two thread hand-offs less). During a drain it would hold one
                                // of the pool's two threads from the answers: 8–14 % less
                                // drain, measured.
                                let batch = try await store.claimBatch(
                                    owner: owner, clock: clock, limit: limit, leaseMillis: configuration.leaseMillis,
                                    callerIdle: noCommandUnderWay()
                                ) { command, context, now in lane.decide(command, context: context, now: now) }
                                let prepared = lane.ready
                                requests = prepared
                                claimed = batch.map { ($0.command, $0.context, $0.markedAt != nil) }
                            }
                        } catch {
                            worker.logger.error("Claim failed", metadata: ["outbox.error": "\(error)"])
                            backlogMayWait = true
                            return
                        }
                        // Only a claim of everything allowed says whether more waits; a paused
                        // claim (only what is overdue), a probe or a ramp does not.
                        backlogMayWait = allowance != .any || claimed.count >= limit
                        if claimed.isEmpty { return }
                        claims += 1
                        claimedTotal += claimed.count
                        if allowance == .probe { state.value.withLock { $0.breaker.probeStarted() } }
                        let isProbe = allowance == .probe
                        // A lone command claimed by an idle worker (a producer's INSERT in a
                        // trickle) starts on this thread, up to its request being handed to the
                        // HTTP client: one thread wake-up less between the INSERT and the request.
                        // Several start on the pool, side by side.
                        let startHere = claimed.count == 1 && noCommandUnderWay()
                        for claim in claimed {
                            let command = claim.command
                            let context = claim.context
                            // Only a command marked in the claim's transaction goes straight out.
                            let ready = claim.marked ? requests[command.id] : nil
                            running += 1
                            state.value.withLock { _ = $0.inFlight.insert(command.id) }
                            let work: @Sendable () async -> Void = {
                                // A probe's bookkeeping goes with its slot (RequestSlot).
                                let slot = RequestSlot(probeOf: isProbe ? state : nil) { continuation.yield(.slotFreed) }
                                await RequestSlot.$current.withValue(slot) {
                                    await processor.process(command, context: context, ready: ready)
                                }
                                let heldSlot = slot.end()
                                state.value.withLock { _ = $0.inFlight.remove(command.id) }
                                continuation.yield(.done(heldSlot: heldSlot))
                            }
                            if startHere { group.addImmediateTask(operation: work) } else { group.addTask(operation: work) }
                        }
                        if allowance == .probe { return }
                        // Fewer than asked for: nothing else was due when it ran. Another claim
                        // now would find nothing (a read per turn for every command of a
                        // trickle); what becomes due later comes with its own event.
                        if claimed.count < limit { return }
                    }
                }
                func fill() async {
                    await fillCommands()
                    await fillReads()
                }
                await fill()
                // Every event that arrived since the last turn is handled before one fill: a
                // burst of completions and wake-ups costs one claim (EventMailbox).
                loop: while true {
                  let events = await continuation.next()
                  if events.isEmpty { break loop }
                  var refill = false
                  var fullTick = false
                  for event in events {
                    worker.metrics?.loopTurned()
                    switch event {
                    case .tick, .watchdog: break
                    default: quietTicks.activity()
                    }
                    switch event {
                    case .slotFreed:
                        running -= 1
                        recording += 1
                        // Nothing became due with it (its answer is not even recorded yet): without
                        // a backlog, a claim now would only read that nothing is due. The record's
                        // `.done` fills again, for what the outcome may have made due (a follow-up
                        // waiting for its sale); a producer's command comes with its wake-up.
                        if !backlogMayWait { continue }
                    case .done(let heldSlot):
                        if heldSlot { running -= 1 } else { recording -= 1 }
                        if stopping && nothingLeft() { break loop }
                    case .readDone:
                        reading -= 1
                        if stopping && nothingLeft() { break loop }
                    case .tick:
                        // A quiet tick only checks the file (a database replaced or deleted stops
                        // the worker within a tick, as documented); a full one does the chores.
                        let full = quietTicks.tick(heartbeatDue: house.heartbeatDue())
                        // Quiet and still nothing live: the heartbeat's chores only, no claim.
                        var stillQuiet = false
                        if full && quietTicks.quiet { stillQuiet = !((try? await store.hasLiveWork()) ?? true) }
                        let problem =
                            full ? await house.tick(now: clock.now(), quiet: stillQuiet) : house.fileProblem()
                        if let problem {
                            worker.logger.critical(
                                "Stopping: the database cannot be used any more (a supervisor restart reopens it)",
                                metadata: ["outbox.error": "\(problem)", "outbox.db": "\(store.location)"])
                            fatal = problem
                            break loop
                        }
                        if !full || stillQuiet { continue }
                        fullTick = true
                    case .wake:
                        break
                    case .watchdog:
                        worker.lifecycle.watchdog?.ping()
                        continue
                    case .stop:
                        worker.lifecycle.stopping()
                        stopping = true
                        await house.beat(status: "stopping", force: true)
                        worker.logger.notice("Stopping: no new claims", metadata: ["outbox.in_flight": "\(running + recording)"])
                        if nothingLeft() { break loop }
                        let grace = Duration.milliseconds(configuration.shutdownGraceMillis)
                        group.addTask {
                            try? await Task.sleep(for: grace)
                            continuation.yield(.graceOver)
                        }
                    case .graceOver:
                        worker.logger.warning(
                            "Shutdown grace over: cancelling in-flight sends (they will be reconciled)",
                            metadata: ["outbox.in_flight": "\(running + recording)"])
                        group.cancelAll()
                    }
                    refill = true
                  }
                  if refill { await fill() }
                  // After the fill, which may have claimed what a commit brought meanwhile: quiet
                  // only with nothing running here, dispatch not paused and nothing live stored.
                  if fullTick {
                      if nothingLeft(), case .closed = state.breaker.state {
                          quietTicks.found(live: (try? await store.hasLiveWork()) ?? true, busy: false)
                      } else {
                          quietTicks.found(live: true, busy: true)
                      }
                  }
                }
                group.cancelAll()
                totals = (claims, claimedTotal)
            }
        } onGracefulShutdown: {
            continuation.yield(.stop)
        }
        continuation.finish()
        if let fatal { throw fatal }
        await house.beat(status: "stopped", force: true)
        let records = processor.outcomes.totals
        worker.logger.info(
            "Worker stopped",
            metadata: [
                "outbox.claims": "\(totals.claims)", "outbox.claimed": "\(totals.claimed)",
                "outbox.record_transactions": "\(records.transactions)", "outbox.recorded": "\(records.groups)",
            ])
    }
}
