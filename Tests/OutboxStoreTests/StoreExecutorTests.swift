import Foundation
import Dispatch
import Synchronization
import Testing

@testable import OutboxStore

/// The SQLite store's serial queue for hot writes: claims (free request slots wait on them) go
/// before group commits already waiting (their answers are in hand), each lane in order.
@Suite("Store executor: claims before waiting commits")
struct StoreExecutorTests {
    @Test("work on the first lane overtakes work waiting in turn; each lane keeps its order")
    func firstLaneGoesFirst() async throws {
        let executor = StoreExecutor()
        let order = Shared<[String]>([])
        // Hold the queue while the others are asked for.
        let (gate, holder) = try await holdQueue(executor, order: order, as: "holder")
        var tasks: [Task<Void, any Error>] = []
        for (name, lane) in [("commit 1", StoreExecutor.Lane.inTurn), ("claim 1", .first), ("commit 2", .inTurn), ("claim 2", .first)] {
            tasks.append(Task { try await executor.run(lane) { order.update { $0.append(name) } } })
            let asked = tasks.count
            try await until { executor.waiting == asked }
        }
        gate.signal()
        try await holder.value
        for task in tasks { try await task.value }
        #expect(order.value == ["holder", "claim 1", "claim 2", "commit 1", "commit 2"])
    }

    @Test("runInlineIfIdle runs on the calling thread when nothing waits or runs, else on the queue after what runs")
    func inlineOnlyWhenIdle() async throws {
        let executor = StoreExecutor()
        // Idle: at once, off the queue.
        #expect(try await executor.runInlineIfIdle { StoreExecutor.onQueue } == false)
        // A commit holds the queue: the claim waits its turn on the queue.
        let order = Shared<[String]>([])
        let (gate, holder) = try await holdQueue(executor, order: order, as: "commit")
        let claim = Task { try await executor.runInlineIfIdle { order.update { $0.append("claim") }; return StoreExecutor.onQueue } }
        try await until { executor.waiting == 1 }
        #expect(order.value.isEmpty)
        gate.signal()
        try await holder.value
        #expect(try await claim.value)
        #expect(order.value == ["commit", "claim"])
        // Idle again once both ended.
        #expect(try await executor.runInlineIfIdle { StoreExecutor.onQueue } == false)
    }

    @Test("runBlocking runs on the calling thread when idle, else in its turn on the queue while the caller waits")
    func blockingTakesItsTurn() async throws {
        let executor = StoreExecutor()
        // From a thread of its own, as the change watcher calls it.
        func onOwnThread(_ body: @escaping @Sendable () -> Bool) async -> Bool {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: body()) }
            }
        }
        #expect(await onOwnThread { executor.runBlocking { StoreExecutor.onQueue } } == false)
        let order = Shared<[String]>([])
        let (gate, holder) = try await holdQueue(executor, order: order, as: "commit")
        let read = Task {
            await onOwnThread { executor.runBlocking { order.update { $0.append("read") }; return StoreExecutor.onQueue } }
        }
        try await until { executor.waiting == 1 }
        #expect(order.value.isEmpty)
        gate.signal()
        try await holder.value
        #expect(await read.value)
        #expect(order.value == ["commit", "read"])
    }

    /// A job that holds the queue (on the in-turn lane, as a group commit) until `gate` is
    /// signalled, then notes `name` in `order`; returns once it runs.
    func holdQueue(_ executor: StoreExecutor, order: Shared<[String]>, as name: String) async throws
        -> (gate: DispatchSemaphore, holder: Task<Void, any Error>)
    {
        let started = Shared(false)
        let gate = DispatchSemaphore(value: 0)
        let holder = Task {
            try await executor.run(.inTurn) {
                started.set(true)
                gate.wait()
                order.update { $0.append(name) }
            }
        }
        try await until { started.value }
        return (gate, holder)
    }

    /// Waits (bounded) for `condition`: an event another task brings about, not a time.
    func until(_ condition: () -> Bool) async throws {
        let limit = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < limit else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// A value tasks share (a Mutex in a class, so closures can capture it).
final class Shared<Value: Sendable>: Sendable {
    private let box: Mutex<Value>
    init(_ value: Value) { box = Mutex(value) }
    var value: Value { box.withLock { $0 } }
    func set(_ value: Value) { box.withLock { $0 = value } }
    func update(_ change: (inout Value) -> Void) { box.withLock { change(&$0) } }
}
