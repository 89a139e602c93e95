import Foundation
import Logging
import OutboxModel
import OutboxStore

/// The periodic chores, done from the loop on its idle tick.
struct Housekeeping {
    let worker: OutboxWorker
    let state: DispatchState
    let startedAt: EpochMillis
    var lastBeat: ContinuousClock.Instant?
    var lastState = ""
    var lastPauseReason: String?
    var lastStorageProblem: String?
    /// Monotonic times of the last lease extension and checkpoint: intervals never follow the
    /// wall clock, so a backward step cannot stop leases being extended (another worker would
    /// then take commands this one is still sending) or checkpoints being taken.
    var lastExtend: ContinuousClock.Instant?
    var lastCheckpoint: ContinuousClock.Instant?
    var checkpointAt: EpochMillis?
    var walPages: Int?
    var sizes: (databaseBytes: Int64?, walBytes: Int64?) = (nil, nil)
    var storage: StorageWatch
    /// Why writes are failing, while they are (shown in worker_status if a heartbeat gets through).
    var writeProblem: String?
    /// The monotonic origin for ``StorageWatch`` readings.
    let origin = ContinuousClock.now
    /// The wall clock and the monotonic clock at the last tick, to notice the wall clock stepping.
    var lastWall: EpochMillis?
    var lastMonotonic: Int64 = 0
    /// Since when (monotonic) housekeeping writes have been failing without a success between.
    var failingSince: ContinuousClock.Instant?
    /// How long writes may keep failing (disk full, a size limit) before the worker exits 74.
    static let writeFailureLimit = Duration.seconds(30)

    init(worker: OutboxWorker, state: DispatchState, startedAt: EpochMillis) {
        self.worker = worker
        self.state = state
        self.startedAt = startedAt
        self.storage = StorageWatch(policy: worker.configuration.storage)
        // The first reading is the start, so a step before the first tick is noticed too.
        self.lastWall = startedAt
        self.lastMonotonic = worker.clock.monotonicMillis() ?? 0
    }

    /// What about storage needs an operator now, for worker_status.
    var storageProblem: String? { writeProblem ?? storage.warning }

    /// A backward step of the wall clock (NTP, a VM resumed) by more than a second: move every
    /// stored future time back by the step (``WorkerStore/shiftSchedules(backBy:now:by:)``) and the
    /// breaker's probe time too, so nothing waits for the length of the step.
    mutating func noticeClockStep(now: EpochMillis) async {
        // The wall clock's own monotonic partner: the process's for the system clock, a test
        // clock's own for a clock that steps when the test says.
        let monotonic = worker.clock.monotonicMillis() ?? (ContinuousClock.now - origin).wholeMilliseconds
        guard let previous = lastWall,
            let back = ClockStep.backward(lastWall: previous, now: now, elapsedMillis: monotonic - lastMonotonic)
        else {
            (lastWall, lastMonotonic) = (now, monotonic)
            return
        }
        worker.logger.warning("The wall clock stepped back; moving stored due times back", metadata: ["outbox.step_ms": "\(back)"])
        do {
            _ = try await worker.store.shiftSchedules(backBy: back, now: now, by: worker.configuration.workerID)
        } catch {
            // Keep the old reading: the next tick sees the same step and tries again (a step
            // forgotten here would leave every due time ahead by its length).
            worker.logger.error(
                "Could not move stored due times back after a clock step; trying again",
                metadata: ["outbox.error": "\(error)"])
            return
        }
        (lastWall, lastMonotonic) = (now, monotonic)
        state.value.withLock {
            $0.breaker.shift(backBy: back)
            $0.holds = $0.holds.mapValues { $0 - back }
        }
    }

    /// The database file replaced or deleted since the worker opened it (SQLite): the problem
    /// the worker must stop on, or nil. A `stat`, no database access: every tick checks it.
    func fileProblem() -> OutboxStoreError? {
        worker.store.localFile?.fileProblem().map { OutboxStoreError(.notFound, $0) }
    }

    /// Does the chores; returns a problem the worker must stop on, or nil. `quiet`: the store has
    /// no live row and this worker nothing running (``QuietTicks``), so there is no lease to
    /// take back or extend and nothing to send under a hold or pause: only the file, the clock,
    /// the checkpoint and the heartbeat.
    mutating func tick(now: EpochMillis, quiet: Bool = false) async -> OutboxStoreError? {
        let configuration = worker.configuration
        if let problem = fileProblem() { return problem }
        await noticeClockStep(now: now)
        do {
            if !quiet {
                let held = Array(state.value.withLock { $0.inFlight })
                let released = try await worker.store.releaseExpiredLeases(now: now, sparing: held)
                if !released.isEmpty {
                    worker.logger.warning(
                        "Expired leases returned for reconciliation", metadata: ["outbox.command.ids": "\(released)"])
                }
                try await state.refreshShared(from: worker.store, now: now)
            }
            let monotonic = ContinuousClock.now
            if !quiet, lastExtend.map({ monotonic - $0 >= .milliseconds(configuration.leaseMillis / 3) }) ?? true {
                lastExtend = monotonic
                let ids = Array(state.value.withLock { $0.inFlight })
                _ = try await worker.store.extendLeases(
                    ids: ids, owner: configuration.workerID, until: now + configuration.leaseMillis, now: now)
            }
            let interval = Duration.milliseconds(configuration.storage.checkpointIntervalMillis)
            if let file = worker.store.localFile, lastCheckpoint.map({ monotonic - $0 >= interval }) ?? true {
                lastCheckpoint = monotonic
                try await checkpoint(file, now: now, monotonic: monotonic)
            }
            failingSince = nil
            if let problem = writeProblem {
                writeProblem = nil
                worker.logger.notice("Database writes work again", metadata: ["outbox.was": "\(problem)"])
            }
        } catch {
            let since = failingSince ?? ContinuousClock.now
            failingSince = since
            if writeProblem == nil {
                let at = Date(timeIntervalSince1970: Double(now) / 1_000).ISO8601Format()
                writeProblem = "database writes failing since \(at) (the worker exits 74 after \(Self.writeFailureLimit)): \(error)"
            }
            worker.logger.error("Housekeeping failed", metadata: ["outbox.error": "\(error)"])
            if ContinuousClock.now - since >= Self.writeFailureLimit {
                return OutboxStoreError(
                    .sqlite, "database writes have failed for \(Self.writeFailureLimit) (last: \(error))")
            }
        }
        await beat(status: nil, force: false, now: now)
        return nil
    }

    /// A passive checkpoint, the file sizes, and what ``StorageWatch`` makes of them (a
    /// truncating checkpoint once readers let go; a warning while the WAL stays too large).
    mutating func checkpoint(_ file: any LocalFileStorage, now: EpochMillis, monotonic: ContinuousClock.Instant)
        async throws
    {
        let result = try await file.checkpoint(.passive)
        checkpointAt = now
        walPages = result.walPages
        sizes = file.storageSizes()
        guard let walBytes = sizes.walBytes, let databaseBytes = sizes.databaseBytes else { return }
        let verdict = storage.observe(
            .init(
                walBytes: walBytes, databaseBytes: databaseBytes, checkpointComplete: result.complete,
                atMillis: (monotonic - origin).wholeMilliseconds))
        if let warning = verdict.newWarning {
            worker.logger.warning("Storage problem: the WAL stays large", metadata: ["outbox.storage": "\(warning)"])
        }
        if let cleared = verdict.cleared {
            worker.logger.notice("Storage problem over: the WAL is back under its threshold", metadata: ["outbox.was": "\(cleared)"])
        }
        if verdict.truncate {
            let truncated = try await file.checkpoint(.truncate)
            sizes = file.storageSizes()
            worker.logger.debug(
                "WAL truncated after readers let go",
                metadata: ["outbox.wal_bytes.before": "\(walBytes)", "outbox.wal_bytes": "\(sizes.walBytes ?? -1)",
                           "outbox.busy": "\(truncated.busy)"])
        }
    }

    /// Whether the heartbeat interval has passed since the last beat: every 2 s by the monotonic
    /// clock (a wall clock stepped back must not silence it), less half a tick, so that ticks
    /// 2 s apart give or take a little never skip a beat. A quiet worker does its chores on
    /// exactly the ticks where this holds (``QuietTicks``).
    func heartbeatDue(at monotonic: ContinuousClock.Instant = .now) -> Bool {
        let every = WorkerStatusRow.heartbeatIntervalMillis
        let interval = Duration.milliseconds(max(every / 2, every - worker.configuration.idlePollMillis / 2))
        return lastBeat.map { monotonic - $0 >= interval } ?? true
    }

    mutating func beat(status: String?, force: Bool, now: EpochMillis? = nil) async {
        let now = now ?? worker.clock.now()
        let breaker = state.breaker
        var beat = WorkerHeartbeat(
            state: status ?? "running", startedAt: startedAt,
            inFlight: state.value.withLock { $0.inFlight.count }, checkpointAt: checkpointAt, walPages: walPages,
            walBytes: sizes.walBytes, databaseBytes: sizes.databaseBytes, storageProblem: storageProblem)
        if status == nil {
            switch breaker.state {
            case .closed, .ramping: break
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
        let changed =
            beat.state != lastState || beat.pauseReason != lastPauseReason || beat.storageProblem != lastStorageProblem
        let monotonic = ContinuousClock.now
        guard force || changed || heartbeatDue(at: monotonic) else { return }
        lastBeat = monotonic
        lastState = beat.state
        lastPauseReason = beat.pauseReason
        lastStorageProblem = beat.storageProblem
        do {
            try await worker.store.heartbeat(worker: worker.configuration.workerID, beat, now: now)
        } catch {
            worker.logger.error("Heartbeat failed", metadata: ["outbox.error": "\(error)"])
        }
    }
}
