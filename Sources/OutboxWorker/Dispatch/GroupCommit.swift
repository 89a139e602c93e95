import OutboxModel
import OutboxStore
import Synchronization

/// Records the outcomes of concurrent command tasks through one writer, several per
/// transaction (a group commit), without waiting to fill a batch: the first outcome to arrive
/// is written at once; outcomes that arrive while that transaction runs are written together by
/// the next one. The writing runs on the ``StoreExecutor``'s queue: a task waiting for its
/// outcome to be written suspends, it never blocks a cooperative thread. A drain of many commands pays for a fraction of a COMMIT per command; a lone
/// command pays for one, exactly as before.
///
/// Each task's outcome is durable (committed under the configured synchronous mode) before its
/// `record` returns, so no outcome is reported before it is written. Each group keeps its own
/// all-or-nothing savepoint; a transaction that fails as a whole (a trigger refusing one row, a
/// full disk) is retried one group at a time, so one bad group never takes the others down.
final class GroupCommit: Sendable {
    typealias Group = (updates: [CommandUpdate], now: EpochMillis)
    private typealias Waiter = CheckedContinuation<Result<Bool, OutboxStoreError>, Never>

    private struct Queue {
        var pending: [(group: Group, waiter: Waiter)] = []
        var writing = false
        /// Transactions written and groups recorded in them, since start.
        var transactions = 0
        var groups = 0
    }

    /// Transactions written and groups recorded in them since start (groups ÷ transactions is
    /// how much the group commit saves; the worker logs both when it stops).
    var totals: (transactions: Int, groups: Int) { queue.withLock { ($0.transactions, $0.groups) } }

    private let store: OutboxStore
    private let worker: String
    private let executor: StoreExecutor
    private let queue = Mutex(Queue())
    /// Most groups in one transaction (a bound on how long one commit holds the write lock).
    static let maxGroups = 256

    init(store: OutboxStore, worker: String, executor: StoreExecutor = StoreExecutor()) {
        self.store = store
        self.worker = worker
        self.executor = executor
    }

    /// Records `group` (see ``OutboxStore/record(_:worker:now:)``): true when applied, false when
    /// a precondition no longer held (nothing written). Throws the store's error.
    func record(_ updates: [CommandUpdate], now: EpochMillis) async throws(OutboxStoreError) -> Bool {
        let result = await withCheckedContinuation { (waiter: Waiter) in
            let schedule = queue.withLock { queue in
                queue.pending.append(((updates, now), waiter))
                if queue.writing { return false }
                queue.writing = true
                return true
            }
            if schedule { executor.schedule { self.writeOne() } }
        }
        return try result.get()
    }

    /// Writes one transaction of queued groups, then, if more are queued, schedules the next
    /// one behind whatever else waits for the executor: a claim asked for meanwhile goes between
    /// two commits. (Draining the queue in one go starved the claims while answers kept coming:
    /// with 64 requests in flight against a 50 ms round trip, slots stayed empty for the length
    /// of a round trip, and the drain was half of concurrency ÷ round trip.)
    private func writeOne() {
        let batch = queue.withLock { queue -> [(group: Group, waiter: Waiter)] in
            let batch = Array(queue.pending.prefix(Self.maxGroups))
            queue.pending.removeFirst(batch.count)
            queue.transactions += batch.isEmpty ? 0 : 1
            queue.groups += batch.count
            return batch
        }
        if !batch.isEmpty {
            for (waiter, result) in zip(batch.map(\.waiter), write(batch.map(\.group))) {
                waiter.resume(returning: result)
            }
        }
        let more = queue.withLock { queue in
            if queue.pending.isEmpty { queue.writing = false }
            return !queue.pending.isEmpty
        }
        if more { executor.schedule { self.writeOne() } }
    }

    private func write(_ groups: [Group]) -> [Result<Bool, OutboxStoreError>] {
        do {
            return try store.recordEach(groups, worker: worker).map { .success($0) }
        } catch {
            let failure = Self.storeError(error)
            // Only a refused row (a constraint) is one group's fault: find it, and write the
            // others on their own. Any other failure (busy past the timeout, a full disk) would
            // fail each of them too, one busy timeout after another on the executor's queue.
            guard groups.count > 1, failure.code == .rejected else {
                return Array(repeating: .failure(failure), count: groups.count)
            }
            return groups.map { group in
                do {
                    return .success(try store.recordEach([group], worker: worker)[0])
                } catch {
                    return .failure(Self.storeError(error))
                }
            }
        }
    }

    private static func storeError(_ error: any Error) -> OutboxStoreError {
        error as? OutboxStoreError ?? OutboxStoreError(.sqlite, String(describing: error))
    }
}
