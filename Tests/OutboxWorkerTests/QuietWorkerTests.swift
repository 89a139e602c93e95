import Foundation
import OutboxModel
import OutboxStore
import Testing

@testable import OutboxWorker

/// An idle worker's quiet ticks (``QuietTicks``) save its chores, never its work: a producer's
/// commit wakes it, time-based work keeps every tick full, and the heartbeat goes on.
@Suite("A quiet worker still does its work", .serialized)
struct QuietWorkerTests {
    @Test("idle with nothing live: the heartbeat goes on, a producer's sale is sent, and a not_before sale goes out once due")
    func quietWorkerStillWorks() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            // Nothing live: the worker goes quiet after its first full tick.
            try await harness.eventually("the first heartbeat") { try !harness.store.workerStatuses().isEmpty }
            try await Task.sleep(for: .milliseconds(200))
            // The heartbeat, a chore of the full ticks, still comes (every 2 s).
            harness.clock.advance(by: 1)
            let now = harness.clock.now()
            try await harness.eventually("a heartbeat while quiet") {
                try harness.store.workerStatuses().first?.heartbeatAt == now
            }
            // A producer's sale: its commit wakes the worker.
            let first = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: first, kind: .asyncSale, payload: Payloads.sale(first)))
            try await harness.eventually("the producer's sale is sent") {
                harness.clock.advance(by: 50)
                return try harness.outcomes().count == 1
            }
            // Quiet again; then a sale that may not leave before a minute from now.
            try await Task.sleep(for: .milliseconds(200))
            let later = Payloads.key()
            _ = try harness.store.enqueue(
                NewCommand(
                    commandKey: later, kind: .asyncSale, payload: Payloads.sale(later),
                    notBefore: harness.clock.now() + 60_000))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try harness.outcomes().count == 1, "sent before its not_before")
            // No commit makes it due, only time: the ticks must still claim it.
            harness.clock.advance(by: 60_000)
            try await harness.eventually("the not_before sale is sent once due") {
                harness.clock.advance(by: 50)
                return try harness.outcomes().count == 2
            }
        }
    }
}
