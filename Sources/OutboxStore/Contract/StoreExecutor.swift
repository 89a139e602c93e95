import Dispatch
import Synchronization

/// Runs ``SQLiteWorkerStore``'s hot database calls (claims, group commits, the foreign-commit
/// check) on one serial dispatch queue of its own, so a task waiting for SQLite suspends instead of
/// blocking a thread of Swift's cooperative pool. That pool has one thread per core (two here):
/// with a claim and a commit each blocking one, no answer from Paywall could be handled until
/// both were done, and a drain ran one command at a time whatever `--concurrency` said.
///
/// Serial by design: SQLite has one writer at a time anyway. Two lanes: work on the ``Lane/first``
/// lane (the dispatcher loop's claims and commit-version checks: free request slots wait on them)
/// runs before work on the ``Lane/inTurn`` lane (the group commits, mostly answers whose tasks
/// have freed their slot), each lane in the order asked. Only the dispatcher loop uses the first
/// lane, and it waits for each call before the next, so at most one such job is ever waiting:
/// a commit is overtaken by at most one job at a time, never starved.
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
    }

    private let queue = DispatchQueue(label: "outbox-store-writer")
    private let lanes = Mutex(Lanes())

    init() {}

    /// Jobs asked for that have not started (tests).
    var waiting: Int { lanes.withLock { $0.first.count + $0.inTurn.count } }

    /// Runs `body` on the executor's queue, on `lane`, and returns (or throws) what it did.
    func run<T: Sendable>(_ lane: Lane = .inTurn, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = { continuation.resume(with: Result { try body() }) }
            lanes.withLock { lanes in
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
    }
}
