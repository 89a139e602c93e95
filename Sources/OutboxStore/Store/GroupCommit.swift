import Dispatch
import GRDB
import Synchronization

/// Group commit: writes that concurrent command tasks submit are run together, in submission
/// order, in one `BEGIN IMMEDIATE` transaction on one serial queue; each runs inside its own
/// savepoint, so one that fails changes nothing and does not disturb the others. A task resumes
/// only after the transaction holding its write has committed: nothing is visible, or acted on,
/// before it is durable under the configured synchronous mode (or under FULL, for a job that asks
/// for it: the send marks of kinds Paywall does not deduplicate).
///
/// Batching is natural, never timed: while one transaction commits, the next ones queue up, so
/// one command alone waits for nothing and a busy worker pays one lock, one WAL append and one
/// commit for many commands. The blocking SQLite work happens on this queue, never on the
/// Swift concurrency pool (two threads on a two-core machine).
final class GroupCommit: Sendable {
    private struct Job: Sendable {
        var durable: Bool
        /// Runs the write inside the open transaction; returns how to resume its task.
        var run: @Sendable (Database) -> @Sendable () -> Void
        /// Resumes the task with the transaction's failure.
        var fail: @Sendable (any Error) -> Void
    }

    private let pool: DatabasePool
    private let synchronous: OutboxStoreConfiguration.Synchronous
    private let queue = DispatchQueue(label: "outbox.group-commit", qos: .userInitiated)
    private let pending = Mutex<(jobs: [Job], draining: Bool)>(([], false))
    /// Transactions committed and writes they carried, for benchmarks and tests.
    private let counters = Mutex<(transactions: Int, writes: Int)>((0, 0))

    init(pool: DatabasePool, synchronous: OutboxStoreConfiguration.Synchronous) {
        self.pool = pool
        self.synchronous = synchronous
    }

    /// How many transactions carried how many writes so far.
    var statistics: (transactions: Int, writes: Int) { counters.withLock { $0 } }

    /// Runs `body` in the next group transaction and returns its value once that transaction
    /// has committed. Throws ``OutboxStoreError`` when `body` throws (its savepoint is rolled
    /// back, the others commit) or when the transaction cannot commit (then nothing of it did).
    func submit<T: Sendable>(durable: Bool = false, _ body: @escaping @Sendable (Database) throws -> T) async throws
        -> T
    {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                durable: durable,
                run: { db in
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(db)
                            return .commit
                        }
                        let result = value!
                        return { continuation.resume(returning: result) }
                    } catch {
                        let failure = OutboxStoreError(wrapping: error)
                        return { continuation.resume(throwing: failure) }
                    }
                },
                fail: { continuation.resume(throwing: OutboxStoreError(wrapping: $0)) })
            let start = pending.withLock { state -> Bool in
                state.jobs.append(job)
                if state.draining { return false }
                state.draining = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let jobs = pending.withLock { state -> [Job] in
                let jobs = state.jobs
                state.jobs = []
                if jobs.isEmpty { state.draining = false }
                return jobs
            }
            if jobs.isEmpty { return }
            let durable = jobs.contains(where: \.durable) && synchronous != .full
            var resumes: [@Sendable () -> Void] = []
            do {
                try pool.writeWithoutTransaction { db in
                    if durable { try db.execute(sql: "PRAGMA synchronous = FULL") }
                    defer { if durable { try? db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)") } }
                    try db.inTransaction(.immediate) {
                        resumes = jobs.map { $0.run(db) }
                        return .commit
                    }
                }
                counters.withLock {
                    $0.transactions += 1
                    $0.writes += jobs.count
                }
                for resume in resumes { resume() }
            } catch {
                for job in jobs { job.fail(error) }
            }
        }
    }
}
