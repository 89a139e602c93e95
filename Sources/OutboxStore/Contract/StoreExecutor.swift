import Dispatch
import Synchronization

/// Runs ``SQLiteWorkerStore``'s hot database calls (claims, group commits, the change watcher's
/// commit-version read) on one serial dispatch queue of its own, so a task waiting for SQLite
/// suspends instead of blocking a thread of Swift's cooperative pool. That pool has one thread per
/// core (two here): with a claim and a commit each blocking one, no answer from Paywall could be
/// handled until both were done, and a drain ran one command at a time whatever `--concurrency`
/// said. Only when the queue is idle does a claim of a dispatcher with no command under way run on
/// the caller's thread (``runInlineIfIdle(_:)``), and the watcher's read on the watcher's
/// (``runBlocking(_:)``).
///
/// Serial by design: SQLite has one writer at a time anyway. Two lanes: work on the ``Lane/first``
/// lane (the dispatcher loop's claims: free request slots wait on them) runs before work on the
/// ``Lane/inTurn`` lane (the group commits, mostly answers whose tasks have freed their slot, and
/// the change watcher's reads while the queue is busy), each lane in the order asked. Only the
/// dispatcher loop uses the first lane, and it waits for each call before the next, so at most one
/// such job is ever waiting: a commit is overtaken by at most one job at a time, never starved.
final class StoreExecutor: Sendable {
    /// Which work goes first.
    enum Lane: Sendable {
        /// Before anything on ``inTurn``.
        case first
        /// After everything on ``first`` asked so far.
        case inTurn
    }

    private struct Lanes {
        var first: [@Sendable () -> Void] = []
        var inTurn: [@Sendable () -> Void] = []
        /// Jobs asked for and not yet ended (waiting, running on the queue, or running inline).
        var unfinished = 0
    }

    private let queue = DispatchQueue(label: "outbox-store-writer")
    private let lanes = Mutex(Lanes())

    init() {
        queue.setSpecific(key: Self.queueKey, value: true)
    }

    private static let queueKey = DispatchSpecificKey<Bool>()

    /// Whether the caller runs on an executor's queue (tests).
    static var onQueue: Bool { DispatchQueue.getSpecific(key: queueKey) ?? false }

    /// Jobs asked for that have not started (tests).
    var waiting: Int { lanes.withLock { $0.first.count + $0.inTurn.count } }

    /// Runs `body` on the executor's queue, on `lane`, and returns (or throws) what it did.
    func run<T: Sendable>(_ lane: Lane = .inTurn, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = {
                let result = Result { try body() }
                self.jobEnded()
                continuation.resume(with: result)
            }
            enqueue(job, on: lane)
        }
    }

    /// Adds `job` to `lane` (counted unfinished until the job calls ``jobEnded()``) and gives the
    /// queue one turn for it.
    private func enqueue(_ job: @escaping @Sendable () -> Void, on lane: Lane) {
        lanes.withLock { lanes in
            lanes.unfinished += 1
            switch lane {
            case .first: lanes.first.append(job)
            case .inTurn: lanes.inTurn.append(job)
            }
        }
        // One turn of the queue per job, each taking the most urgent job waiting: there are
        // never more turns than jobs, so a turn always finds one.
        queue.async {
            let next = self.lanes.withLock { lanes in
                lanes.first.isEmpty ? lanes.inTurn.removeFirst() : lanes.first.removeFirst()
            }
            next()
        }
    }

    /// Whether nothing waits or runs; if so, counts the caller's own job as running (it must end it
    /// with ``jobEnded()``), so that jobs asked for meanwhile go to the queue.
    private func startInlineIfIdle() -> Bool {
        lanes.withLock { lanes in
            guard lanes.unfinished == 0 else { return false }
            lanes.unfinished += 1
            return true
        }
    }

    /// A job counted unfinished (by ``enqueue(_:on:)`` or ``startInlineIfIdle()``) ended.
    private func jobEnded() {
        lanes.withLock { $0.unfinished -= 1 }
    }

    /// Runs `body` at once on the calling thread when the executor has nothing waiting or running
    /// (the claim of a dispatcher with nothing else under way: two thread hand-offs less between a
    /// producer's commit and its request), else on the ``Lane/first`` lane like ``run(_:_:)``.
    /// Jobs asked for meanwhile go to the queue, where they wait for the store's one writer
    /// connection as any write does. It blocks the calling thread of the cooperative pool for one
    /// claim, started only while no group commit waits or runs; it can still wait for the writer
    /// connection behind a write a task makes on its own (a mark on the full path, a release, a
    /// payment read's record) or behind the write lock of another process, as those writes do.
    func runInlineIfIdle<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard startInlineIfIdle() else { return try await run(.first, body) }
        defer { jobEnded() }
        return try body()
    }

    /// For a thread of its own (never one of Swift's cooperative pool, which it blocks): runs
    /// `body` at once on the calling thread when the executor has nothing waiting or running,
    /// else as a job on the ``Lane/inTurn`` lane, the calling thread waiting for it. So the change
    /// watcher's read of the commit version takes its turn among a drain's claims and commits on
    /// the queue's thread. Taking the writer connection itself from between them would cost two
    /// thread hand-offs per read and stall the queue meanwhile. Never call it from the queue itself
    /// (it would wait for a job only its own thread can run): a precondition stops that.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        dispatchPrecondition(condition: .notOnQueue(queue))
        if startInlineIfIdle() {
            defer { jobEnded() }
            return body()
        }
        let done = DispatchSemaphore(value: 0)
        let result = Handover<T>()
        let job: @Sendable () -> Void = {
            result.value = body()
            self.jobEnded()
            done.signal()
        }
        enqueue(job, on: .inTurn)
        done.wait()
        return result.value!
    }
}

/// A value handed from the queue's thread to a waiting thread: written once before the
/// semaphore is signalled, read once after the wait (the semaphore orders the two).
private final class Handover<T>: @unchecked Sendable {
    var value: T?
}
