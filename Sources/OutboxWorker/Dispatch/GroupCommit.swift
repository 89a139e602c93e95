import OutboxModel
import OutboxStore
import Synchronization

/// Records the outcomes of concurrent command tasks through one writer at a time, several per
/// transaction (a group commit), without waiting to fill a batch: the first outcome to arrive
/// is written at once; outcomes that arrive while that transaction runs are written together by
/// the next one. A drain of many commands pays for a fraction of a COMMIT per command; a lone
/// command pays for one, exactly as before.
///
/// No task of its own: the task whose outcome finds no writer busy writes (it *leads*); outcomes
/// arriving meanwhile wait. When its transaction is done, the leader hands the lead to the first
/// waiter, which writes its own outcome and everyone else's that queued. Each transaction is one
/// ``WorkerStore/recordEach(_:worker:)`` call, so a claim asked for meanwhile goes between two
/// commits (``SQLiteWorkerStore`` runs it before any commit still waiting: the commit's task has
/// already freed its request slot, the claim fills one; ``RequestSlot``).
///
/// Each task's outcome is durable (committed under the configured synchronous mode) before its
/// `record` returns, so no outcome is reported before it is written. Each group stays all or
/// nothing (the store's savepoint, or one guarded statement for a single update); a transaction
/// refused as a whole because one row was (a trigger, a
/// constraint) is retried one group at a time, so one bad group never takes the others down.
final class GroupCommit: Sendable {
    typealias Group = (updates: [CommandUpdate], now: EpochMillis)

    private enum Turn: Sendable {
        /// Written by another task's transaction: here is the result.
        case done(Result<Bool, OutboxStoreError>)
        /// Your turn to write (your group and whatever queued behind it).
        case lead
    }
    private typealias Waiter = CheckedContinuation<Turn, Never>

    private struct Entry {
        var updates: [CommandUpdate]
        var now: EpochMillis
        var waiter: Waiter
    }

    private struct Queue {
        var pending: [Entry] = []
        var writing = false
        /// Transactions written and groups recorded in them, since start.
        var transactions = 0
        var groups = 0
    }

    /// Transactions written and groups recorded in them since start (groups ÷ transactions is
    /// how much the group commit saves; the worker logs both when it stops).
    var totals: (transactions: Int, groups: Int) { queue.withLock { ($0.transactions, $0.groups) } }

    private let store: any WorkerStore
    private let worker: String
    private let queue = Mutex(Queue())
    /// Most groups in one transaction (a bound on how long one commit holds the write lock).
    static let maxGroups = 256

    init(store: any WorkerStore, worker: String) {
        self.store = store
        self.worker = worker
    }

    /// Records `group` (see ``WorkerStore/recordEach(_:worker:)``): true when applied, false when
    /// a precondition no longer held (nothing written). Throws the store's error.
    func record(_ updates: [CommandUpdate], now: EpochMillis) async throws(OutboxStoreError) -> Bool {
        let turn = await withCheckedContinuation { (waiter: Waiter) in
            let lead = queue.withLock { queue in
                if queue.writing {
                    queue.pending.append(Entry(updates: updates, now: now, waiter: waiter))
                    return false
                }
                queue.writing = true
                return true
            }
            if lead { waiter.resume(returning: .lead) }
        }
        switch turn {
        case .done(let result):
            return try result.get()
        case .lead:
            return try await lead((updates, now)).get()
        }
    }

    /// Writes `own` and up to ``maxGroups`` − 1 queued groups in one transaction, answers the
    /// queued ones, and hands the lead to the next waiter (or ends the writing).
    private func lead(_ own: Group) async -> Result<Bool, OutboxStoreError> {
        let batch = queue.withLock { queue -> [Entry] in
            let batch = Array(queue.pending.prefix(Self.maxGroups - 1))
            queue.pending.removeFirst(batch.count)
            queue.transactions += 1
            queue.groups += batch.count + 1
            return batch
        }
        let results = await write([own] + batch.map { ($0.updates, $0.now) })
        for (entry, result) in zip(batch, results.dropFirst()) {
            entry.waiter.resume(returning: .done(result))
        }
        handOff()
        return results[0]
    }

    /// Wakes the first waiter to lead (it writes its own group, which it still holds, and what
    /// queued behind it), or ends the writing when nobody waits.
    private func handOff() {
        let next = queue.withLock { queue -> Waiter? in
            guard !queue.pending.isEmpty else {
                queue.writing = false
                return nil
            }
            return queue.pending.removeFirst().waiter
        }
        next?.resume(returning: .lead)
    }

    /// Writes `groups` in a task of its own: they are other tasks' answers too, and a leader
    /// cancelled meanwhile (shutdown's grace over) must not cancel their write. An unstructured
    /// task does not inherit its creator's cancellation, and a driver that stops work in a
    /// cancelled task (PostgreSQL's) then still writes; the SQLite store's queue never stopped.
    private func write(_ groups: [Group]) async -> [Result<Bool, OutboxStoreError>] {
        await Task { await self.writeNow(groups) }.value
    }

    private func writeNow(_ groups: [Group]) async -> [Result<Bool, OutboxStoreError>] {
        do {
            return try await store.recordEach(groups, worker: worker).map { .success($0) }
        } catch {
            let failure = Self.storeError(error)
            // Only a refused row (a constraint) is one group's fault: find it, and write the
            // others on their own. Any other failure (busy past the timeout, a full disk) would
            // fail each of them too, one busy timeout after another.
            guard groups.count > 1, failure.code == .rejected else {
                return Array(repeating: .failure(failure), count: groups.count)
            }
            var results: [Result<Bool, OutboxStoreError>] = []
            for group in groups {
                do {
                    results.append(.success(try await store.recordEach([group], worker: worker)[0]))
                } catch {
                    results.append(.failure(Self.storeError(error)))
                }
            }
            return results
        }
    }

    private static func storeError(_ error: any Error) -> OutboxStoreError {
        error as? OutboxStoreError ?? OutboxStoreError(.sqlite, String(describing: error))
    }
}
