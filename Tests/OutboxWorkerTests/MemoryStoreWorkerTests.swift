import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Testing

@testable import OutboxWorker

/// The worker over ``MemoryWorkerStore``: the dispatcher, its planner and its recording tested
/// with no database at all (issue 14: the worker receives its store).
@Suite("Worker over the in-memory store", .serialized)
struct MemoryStoreWorkerTests {
    /// Runs a worker on `store` until `done`, moving the manual clock `step` ms at a time (bounded
    /// in real time; the rules see only the manual clock).
    static func run(
        _ store: MemoryWorkerStore, paywall: ScriptedPaywall, clock: ManualWallClock, step: EpochMillis = 250,
        adjust: (inout WorkerConfiguration) -> Void = { _ in }, moveClockOnceThis: @Sendable () -> Bool = { true },
        until done: @Sendable () -> Bool
    ) async throws {
        var configuration = testConfiguration()
        configuration.idlePollMillis = 5
        configuration.concurrency = 4
        adjust(&configuration)
        let worker = OutboxWorker(
            configuration: configuration, store: store, transport: paywall.transport, clock: clock,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        let limit = ContinuousClock.now + .seconds(120)
        while !done() {
            guard ContinuousClock.now < limit else {
                Issue.record("timed out; inbox: \(store.inbox(after: 0).map { ($0.outboxID, $0.outcome?.outcome) })")
                return
            }
            // The clock stands still until the scenario has begun (on a busy machine the first
            // request may take longer than a few steps of it).
            if moveClockOnceThis() { clock.advance(by: step) }
            try await Task.sleep(for: .milliseconds(3))
        }
    }

    static func outcomes(_ store: MemoryWorkerStore) -> [InboxRow] {
        store.inbox(after: 0).filter { $0.event == "outcome" }
    }

    @Test("30 sales Paywall accepts: 30 requests, one succeeded outcome each, no database")
    func drain() async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let paywall = ScriptedPaywall(clock: clock)
        paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let store = MemoryWorkerStore()
        let keys = (0..<30).map { _ in Payloads.key() }
        for key in keys {
            store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)), now: clock.now())
        }
        try await Self.run(store, paywall: paywall, clock: clock) { Self.outcomes(store).count == keys.count }
        let rows = Self.outcomes(store)
        #expect(rows.count == keys.count)
        #expect(Set(rows.map(\.commandKey)) == Set(keys))
        #expect(rows.allSatisfy { $0.outcome?.outcome == .succeeded })
        #expect(paywall.count("/sale") == keys.count)
        // Every sale's send opened its attempt with a mark, completed by the answer.
        for command in store.commands() {
            #expect(command.state == .succeeded && !command.needsReconcile)
            #expect(store.attempts(commandID: command.id).map(\.record.outcome) == ["succeeded"])
        }
    }

    @Test("a lost answer, lookups refused, then 'not there' after the deadline: expired, never resent late")
    func lostAnswerExpires() async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let paywall = ScriptedPaywall(clock: clock)
        paywall.script("/sale", [ScriptedPaywall.status(500)], then: ScriptedPaywall.accepted())
        paywall.script(
            "/payment/list", Array(repeating: ScriptedPaywall.status(503, retryAfter: 1), count: 4),
            then: ScriptedPaywall.emptyList)
        let store = MemoryWorkerStore()
        let key = Payloads.key()
        let deadline = clock.now() + 3_000
        store.enqueue(
            NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key), deadline: deadline), now: clock.now())
        try await Self.run(
            store, paywall: paywall, clock: clock, adjust: { $0.maxAttempts = 10 },
            moveClockOnceThis: { paywall.count("/sale") >= 1 }
        ) { !Self.outcomes(store).isEmpty }
        let outcome = try #require(Self.outcomes(store).first?.outcome)
        #expect(outcome.outcome == .expired && outcome.reason == .deadlinePassed, "\(outcome)")
        let sales = paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sales.count == 1 && sales.allSatisfy { $0.at <= deadline }, "a sale was sent after its deadline")
    }

    @Test("a cancel of a sale never sent revokes both locally: nothing reaches Paywall")
    func revokedLocally() async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let paywall = ScriptedPaywall(clock: clock)
        paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let store = MemoryWorkerStore()
        let saleKey = Payloads.key()
        // The cancel is queued before the worker ever saw the sale.
        store.enqueue(
            NewCommand(commandKey: Payloads.key(), kind: .asyncCancel, payload: "{}", saleKey: saleKey), now: clock.now())
        store.enqueue(NewCommand(commandKey: saleKey, kind: .asyncSale, payload: Payloads.sale(saleKey)), now: clock.now())
        try await Self.run(store, paywall: paywall, clock: clock) { Self.outcomes(store).count == 2 }
        #expect(Self.outcomes(store).map(\.outcome?.outcome) == [.revoked, .revoked])
        #expect(paywall.received.isEmpty)
    }

    @Test("a cancel of an accepted sale carries the PaymentRequestId Paywall gave the sale")
    func cancelAfterSale() async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let paywall = ScriptedPaywall(clock: clock)
        paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        paywall.script("/cancel", [], then: ScriptedPaywall.accepted())
        let store = MemoryWorkerStore()
        let saleKey = Payloads.key()
        store.enqueue(NewCommand(commandKey: saleKey, kind: .asyncSale, payload: Payloads.sale(saleKey)), now: clock.now())
        try await Self.run(store, paywall: paywall, clock: clock) { Self.outcomes(store).count == 1 }
        store.enqueue(
            NewCommand(commandKey: Payloads.key(), kind: .asyncCancel, payload: "{}", saleKey: saleKey), now: clock.now())
        try await Self.run(store, paywall: paywall, clock: clock) { Self.outcomes(store).count == 2 }
        let cancels = paywall.received.filter { $0.path.contains("/cancel") }
        #expect(paywall.received.filter { $0.path.hasSuffix("/sale") }.count == 1 && cancels.count == 1, "\(paywall.received.map(\.path))")
        #expect(cancels.first.map { $0.body.contains(paymentID) } == true, "\(cancels.first?.body ?? "")")
        #expect(Self.outcomes(store).map(\.outcome?.outcome) == [.succeeded, .succeeded])
    }
}
