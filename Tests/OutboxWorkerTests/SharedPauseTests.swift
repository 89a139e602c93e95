import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import Synchronization
import Testing

@testable import OutboxWorker

@Suite("Issue 9, item 8: a connection closed after the request was written pauses every worker", .serialized)
struct SharedPauseTests {
    /// Worker A's first sale gets no answer (the connection closed after the request was
    /// written). A pauses and publishes the pause; worker B, started afterwards with twenty
    /// sales queued, adopts it: nothing more reaches Paywall before the published probe time.
    /// When a probe gets an answer everything drains, each sale exactly once.
    @Test func oneLostAnswerPausesEveryWorkerUntilAProbeGetsAnAnswer() async throws {
        let run = try ScriptedRun {
            $0.concurrency = 4
            $0.breakerBackoff = Backoff(baseMillis: 20_000, factor: 2, capMillis: 20_000)
        }
        run.paywall.script("/sale", [ScriptedPaywall.lost], then: ScriptedPaywall.accepted())
        run.paywall.script("/payment/list", [], then: ScriptedPaywall.emptyList)
        let first = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: first, kind: .asyncSale, payload: Payloads.sale(first)))

        func start(_ id: String) throws -> Task<Void, any Error> {
            var configuration = run.configuration
            configuration.workerID = id
            let worker = try OutboxWorker(
                configuration: configuration, store: SQLiteWorkerStore(configuration.store), transport: run.paywall.transport, clock: run.clock,
                logger: Logger(label: id, factory: { _ in SwiftLogNoOpLogHandler() }))
            return Task { try await worker.run() }
        }
        let a = try start("worker-a")
        defer { a.cancel() }

        // A's lost answer: the pause is published (the clock stands still meanwhile).
        // A bound on real time that only a stuck worker reaches: the rules see only the manual
        // clock, which moves when this loop does, so a busy machine makes the run take longer.
        let limit = ContinuousClock.now + .seconds(180)
        var published: PublishedPause?
        while published == nil {
            try #require(ContinuousClock.now < limit, "worker A never published a pause")
            published = try run.store.sharedDispatch(now: run.clock.now()).pause
            try await Task.sleep(for: .milliseconds(3))
        }
        let pause = try #require(published)
        #expect(pause.setBy == "worker-a")

        var keys: [String] = [first]
        for _ in 0..<20 {
            let key = Payloads.key()
            keys.append(key)
            _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        }
        let b = try start("worker-b")
        defer { b.cancel() }

        while try run.store.inbox(after: 0, limit: 100).count < keys.count {
            let drained = try run.store.inbox(after: 0, limit: 100).count
            try #require(ContinuousClock.now < limit, "not drained: \(drained) of \(keys.count)")
            run.clock.advance(by: 250)
            try await Task.sleep(for: .milliseconds(3))
        }
        let received = run.paywall.received
        let lostAt = try #require(received.first?.at)
        let early = received.dropFirst().filter { $0.at < pause.probeAt }
        #expect(early.isEmpty, "requests before the probe time \(pause.probeAt - lostAt) ms after the lost answer: \(early.map { ($0.path, $0.at - lostAt) })")
        let outcomes = try run.store.inbox(after: 0, limit: 100).compactMap(\.outcome)
        #expect(outcomes.count == keys.count && outcomes.allSatisfy { $0.outcome == .succeeded }, "\(outcomes)")
        let sales = received.filter { $0.path.hasSuffix("/sale") }
        for key in keys.dropFirst() {
            #expect(sales.filter { $0.body.contains(key) }.count == 1, "sale \(key) sent more than once")
        }
        // The pause is over for everyone.
        #expect(try run.store.sharedDispatch(now: run.clock.now()).pause == nil)
    }
}
