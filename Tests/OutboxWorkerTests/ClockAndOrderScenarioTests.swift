import Foundation
import GRDB
import Logging
import OutboxModel
import PaywallClient
import PaywallSimulator
import Synchronization
import Testing

@testable import OutboxStore
@testable import OutboxWorker

/// Issue 9, items 12 and 13, with the real worker: a wall clock stepped back under it, and
/// commands on one payment that must never wait for each other.
@Suite("Money safety scenarios: clock steps and ordering (issue 9)", .serialized)
struct ClockAndOrderScenarioTests {
    @Test("item 12: the clock set back 10 minutes just after a 503 with Retry-After 2: the sale is retried about 2 s later, not 10 minutes")
    func backwardStepDoesNotFreezeARetry() async throws {
        let run = try ScriptedRun { $0.concurrency = 1 }
        run.paywall.script("/sale", [ScriptedPaywall.status(503, retryAfter: 2)], then: ScriptedPaywall.accepted())
        let key = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        // Errors reach stderr, so a failure here says what the worker met.
        var logger = Logger(label: "w", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        let worker = try OutboxWorker(
            configuration: run.configuration, store: SQLiteWorkerStore(run.configuration.store), transport: run.paywall.transport, clock: run.clock, logger: logger)
        let ended = Mutex<String?>(nil)
        let task = Task {
            do {
                try await worker.run()
                ended.withLock { $0 = "returned" }
            } catch {
                ended.withLock { $0 = "threw \(error)" }
            }
        }
        defer { task.cancel() }
        // A bound on real time only a stuck worker reaches (the rules see the manual clock).
        let limit = ContinuousClock.now + .seconds(180)
        // The 503 is recorded: the sale is back in the queue, due 2 s later.
        while try !(run.paywall.count("/sale") == 1 && run.store.list(CommandFilter()).first?.state == .pending) {
            try #require(ContinuousClock.now < limit, "the 503 was never recorded; worker: \(ended.withLock { $0 } ?? "running")")
            try await Task.sleep(for: .milliseconds(3))
        }
        run.clock.advance(by: -600_000)
        let steppedAt = run.clock.now()
        // The worker notices the step at its next housekeeping tick (real time); the test's
        // clock stands still until then, so how soon it notices does not move the result.
        while try run.store.read({ try Int.fetchOne($0, sql: "SELECT count(*) FROM clock_shift") }) == 0 {
            try #require(ContinuousClock.now < limit, "the step was never noticed; worker: \(ended.withLock { $0 } ?? "running")")
            try await Task.sleep(for: .milliseconds(3))
        }
        while try run.outcome() == nil {
            try #require(ContinuousClock.now < limit, "not retried after the step")
            run.clock.advance(by: 100)
            try await Task.sleep(for: .milliseconds(3))
        }
        #expect(try run.outcome()?.outcome == .succeeded)
        let sales = run.paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sales.count == 2)
        // Retry-After 2 s, counted on the stepped clock, plus the ticks it takes to notice.
        let retriedAfter = sales[1].at - steppedAt
        #expect(retriedAfter >= 1_000 && retriedAfter <= 4_000, "retried \(retriedAfter) ms after the step")
    }

    @Test("item 13: a cancel rollback and a later cancel of the same sale never wait for each other: both end")
    func rollbackAndLaterCancelBothFinish() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let sale = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .syncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .syncCancel, payload: "{}", saleKey: sale))
            try await harness.eventually("cancel accepted") { try harness.outcomes().count == 2 }
            // The rollback revokes the cancel queued before it; the cancel queued after it
            // waits for it, and it never waits for that later cancel.
            let rollback = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: .syncCancelRollback, payload: "{}", saleKey: sale)).id
            let later = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: .syncCancel, payload: "{}", saleKey: sale)).id
            // Time passes (windows, waits, retries); a bound on real time only a deadlock reaches.
            let limit = ContinuousClock.now + .seconds(180)
            while try !Set(harness.outcomes().map(\.outboxID)).isSuperset(of: [rollback, later]) {
                let rows = try harness.store.list(CommandFilter(limit: 10)).map { "\($0.id) \($0.state) \($0.lastError ?? "")" }
                try #require(ContinuousClock.now < limit, "they waited for each other: \(rows)")
                harness.clock.advance(by: 250)
                try await Task.sleep(for: .milliseconds(3))
            }
            let rollbackEnd = try #require(try harness.outcomes().first { $0.outboxID == rollback })
            let laterSends = await harness.simulator.receivedRequests().filter { $0.path.hasSuffix("/sync/cancel") }
            // The first cancel went out before the rollback was queued; the later one, if sent at
            // all, only after the rollback ended.
            #expect(laterSends.count <= 2)
            if laterSends.count == 2 { #expect(laterSends[1].receivedAt >= rollbackEnd.createdAt) }
        }
    }
}
