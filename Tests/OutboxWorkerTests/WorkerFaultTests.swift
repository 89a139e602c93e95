import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Synchronization
import Testing
import OutboxTestSupport

@testable import OutboxWorker

@Suite("Worker with faults on", .serialized)
struct WorkerFaultTests {
    @Test(
        "5xx, 429, slow answers and dropped connections: one outcome per command, no sale twice except to reconcile, nothing after its deadline",
        arguments: [UInt64(3), 17])
    func faults(seed: UInt64) async throws {
        let harness = try await WorkerHarness(
            faults: FaultSettings(
                serverErrorRate: 0.1, tooManyRequestsRate: 0.1, retryAfterSeconds: 1, slowRate: 0.05, slowDelayMillis: 50,
                dropAfterProcessingRate: 0.1),
            seed: seed
        ) { $0.maxAttempts = 30 }
        defer { Task { await harness.finish() } }
        var sales: [String] = []
        for index in 0..<30 {
            let key = Payloads.key()
            sales.append(key)
            _ = try harness.store.enqueue(
                NewCommand(commandKey: key, kind: index % 2 == 0 ? .asyncSale : .syncSale, payload: Payloads.sale(key, amount: "\(index).25")))
        }
        for _ in 0..<5 {
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .marketplaceApprove, payload: #"{"PaymentId":\#(Int.random(in: 1...1_000_000))}"#))
        }
        for key in sales.prefix(5) {
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .asyncCancel, payload: "{}", saleKey: key))
        }
        let total = 40
        try await harness.withWorker { _ in
            // Time flows a hundred times faster than real time, so backoffs pass quickly.
            do {
                try await harness.eventually("all outcomes", timeout: .seconds(60)) {
                    harness.clock.advance(by: 1_000)
                    return try harness.outcomes().count >= total
                }
            } catch {
                let now = harness.clock.now()
                for command in try harness.store.list(CommandFilter(limit: 100)) where !command.state.isFinal {
                    Issue.record(
                        "unfinished #\(command.id) \(command.kindName) \(command.state.rawValue) attempts \(command.attempts) reconcile \(command.needsReconcile) due in \(command.dueAt - now) ms lease \(command.leaseOwner ?? "-") until \((command.leaseExpiresAt ?? 0) - now): \(command.lastError ?? "")")
                }
                throw error
            }
        }
        let outcomes = try harness.outcomes()
        #expect(outcomes.count == total && Set(outcomes.map(\.outboxID)).count == total, "exactly one outcome each")
        let requests = await harness.simulator.receivedRequests()
        for key in sales {
            let command = try #require(try harness.store.find(reference: key).first)
            let detail = try #require(try harness.store.detail(id: command.id))
            let count = await harness.simulator.saleRequestCount(merchantUniqueCode: key)
            #expect(count.accepted <= 1, "sale \(key) accepted twice")
            if count.received > 1 {
                #expect(
                    detail.attempts.contains { ["unknown", "already_done"].contains($0.record.outcome) || $0.record.outcome == "transient" },
                    "a resend of \(key) without an unknown outcome or a refusal before it")
            }
            // Nothing sent after its deadline, unless it was a reconciliation of an earlier send.
            let deadline = command.createdAt + WorkerConfiguration.defaultDeadlines[.asyncSale]!
            let sends = requests.filter { $0.path.hasSuffix("/sale") && $0.body.contains(key) }
            if let first = sends.first { #expect(first.receivedAt <= deadline, "first send after the deadline") }
            if command.state == .succeeded { #expect(count.accepted == 1) }
        }
    }

    @Test("nothing is sent while the breaker is open; waiting commands spend no attempts; the probe reopens the flow")
    func breakerHoldsSends() async throws {
        let refused = Mutex(true)
        let calls = Mutex(0)
        let transport = InMemoryPaywallTransport { request throws(PaywallTransportError) in
            calls.withLock { $0 += 1 }
            if refused.withLock({ $0 }) { throw PaywallTransportError(code: .connectionRefused, detail: "refused") }
            return PaywallHTTPResponse(status: 200, text: #"{"Result":{"PaymentRequestId":"\#(UUID().uuidString.lowercased())"},"ErrorCode":0,"Succeeded":true,"Failed":false}"#)
        }
        let directory = Scratch.url("breaker")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: path))
        let clock = ManualWallClock(start: SystemWallClock().now())
        var configuration = testConfiguration(path: path)
        configuration.idlePollMillis = 10
        configuration.breakerBackoff = Backoff(baseMillis: 10_000, factor: 2, capMillis: 60_000)
        // Two at a time: the sends that can be under way before the first refusal opens the
        // breaker are exactly those two, however busy the machine (with the default 8, all five
        // were, and a bound of 4 failed under load).
        configuration.concurrency = 2
        for _ in 0..<5 {
            let key = Payloads.key()
            _ = try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        }
        let worker = try OutboxWorker(
            configuration: configuration, store: SQLiteWorkerStore(configuration.store), transport: transport, clock: clock,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        func waitFor(_ what: String, _ condition: () throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while try !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("timed out: \(what)")
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        // The first refusals open the breaker and the status row says why.
        // Paused, and the sends that were already past their last look have ended (they may
        // still reach the transport after the pause is written: "only sends already in flight").
        try await waitFor("paused, nothing in flight") {
            let status = try store.workerStatuses().first
            return status?.state == "paused" && status?.inFlight == 0
        }
        let whilePaused = calls.withLock { $0 }
        #expect(whilePaused >= 1 && whilePaused <= 2, "at most the sends in flight when the breaker opened: \(whilePaused)")
        #expect(try store.workerStatuses().first?.pauseReason?.contains("connection_refused") == true)
        // However many idle ticks pass, no send happens before the probe time (≥ 2.5 s away).
        let ticksBefore = try store.workerStatuses().first?.heartbeatAt
        clock.advance(by: 2_000)
        try await waitFor("a heartbeat after the advance") {
            try store.workerStatuses().first?.heartbeatAt != ticksBefore
        }
        #expect(calls.withLock { $0 } == whilePaused)
        #expect(try store.list(CommandFilter()).allSatisfy { $0.attempts == 0 }, "a pause spends no attempts")
        // Paywall comes back: the probe goes through and the rest follow.
        refused.withLock { $0 = false }
        clock.advance(by: 60_000)
        try await waitFor("all sent") { try store.inbox(after: 0).count == 5 }
        #expect(try store.list(CommandFilter()).allSatisfy { $0.state == .succeeded })
    }
}
