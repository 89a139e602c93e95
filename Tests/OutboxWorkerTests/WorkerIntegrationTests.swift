import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Testing

@testable import OutboxWorker

@Suite("Worker against the simulator", .serialized)
struct WorkerIntegrationTests {
    @Test("every kind is delivered and ends with exactly one inbox outcome; amounts arrive exactly as written")
    func everyKind() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        let asyncSale = Payloads.key()
        let syncSale = Payloads.key()
        let commands: [NewCommand] = [
            NewCommand(commandKey: asyncSale, kind: .asyncSale, payload: Payloads.sale(asyncSale, amount: "22.10")),
            NewCommand(commandKey: syncSale, kind: .syncSale, payload: Payloads.sale(syncSale, amount: "1500.5")),
            NewCommand(commandKey: Payloads.key(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T9"}"#),
            NewCommand(commandKey: Payloads.key(), kind: .syncPairRequest, payload: #"{"TerminalTagCode":"T8"}"#),
            NewCommand(commandKey: Payloads.key(), kind: .marketplaceApprove, payload: #"{"PaymentId":4242}"#),
        ]
        for command in commands { _ = try harness.store.enqueue(command) }
        try await harness.withWorker { _ in
            // Time moves, as it does in production: a request that meets a real-time limit on a
            // busy machine (the 2 s connect or 5 s request timeout) is retried or reconciled at a
            // time of the manual clock, which would otherwise never come (seen once in a CI
            // rehearsal beside a CPU burner: "timed out waiting for: all outcomes").
            try await harness.eventually("all outcomes") {
                harness.clock.advance(by: 50)
                return try harness.outcomes().count == commands.count
            }
        }
        let outcomes = try harness.outcomes()
        #expect(Set(outcomes.map(\.outboxID)).count == commands.count)
        #expect(outcomes.allSatisfy { $0.outcome?.outcome == .succeeded }, "\(outcomes.map { ($0.kindName, $0.outcome?.outcome, $0.outcome?.message) })")
        #expect(await harness.simulator.payment(merchantUniqueCode: asyncSale)?.order.amount == "22.10")
        #expect(await harness.simulator.payment(merchantUniqueCode: syncSale)?.order.amount == "1500.5")
        let sale = try #require(try harness.store.find(reference: asyncSale).first)
        #expect(sale.paywallPaymentRequestId == outcomes.first { $0.outboxID == sale.id }?.outcome?.paymentRequestId)
    }

    @Test("a cancel by sale_key waits for its sale, then goes out with the sale's PaymentRequestId")
    func cancelWaitsForSale() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        let sale = Payloads.key()
        try await harness.withWorker { _ in
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale done") { try harness.outcomes().count == 1 }
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .asyncCancel, payload: "{}", saleKey: sale))
            try await harness.eventually("cancel done") { try harness.outcomes().count == 2 }
        }
        let outcomes = try harness.outcomes()
        #expect(outcomes.map { $0.outcome?.outcome } == [.succeeded, .succeeded])
        let prid = try #require(outcomes[0].outcome?.paymentRequestId)
        let cancels = await harness.simulator.receivedRequests().filter { $0.path.hasSuffix("/async/cancel") }
        #expect(cancels.count == 1 && cancels[0].body.contains(prid))
    }

    @Test("a sale and its cancel queued before any send are both revoked locally; Paywall never hears of them")
    func localRevocation() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        let sale = Payloads.key()
        _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .syncSale, payload: Payloads.sale(sale)))
        _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale))
        try await harness.withWorker { _ in
            // Time moves: when both are claimed together, the sale's revocation waits a moment
            // for the rollback's own record to give it back (CommandPlanner.shortWaitMillis).
            try await harness.eventually("both revoked") {
                harness.clock.advance(by: 50)
                return try harness.outcomes().count == 2
            }
        }
        #expect(try harness.outcomes().map { $0.outcome?.outcome } == [.revoked, .revoked])
        #expect(await harness.simulator.receivedRequests().isEmpty)
    }

    @Test("a sale rollback is sent only after 5 s + margin from acceptance, while the device has not taken the sale")
    func rollbackAfterWindow() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        let sale = Payloads.key()
        try await harness.withWorker { _ in
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .syncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
            let acceptedAt = try #require(try harness.store.find(reference: sale).first?.acceptedAt)
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale))
            try await harness.eventually("rollback waiting for its window") {
                try harness.store.list(CommandFilter(kinds: ["sync_sale_rollback"])).first?.lastError?.hasPrefix("waiting: rollback window") == true
            }
            // Inside the window nothing is sent, however often the worker looks.
            harness.clock.set(acceptedAt + 5_000 + 999)
            try await Task.sleep(for: .milliseconds(100))
            #expect(await harness.simulator.receivedRequests().filter { $0.path.hasSuffix("/rollback") }.isEmpty)
            #expect(try harness.outcomes().count == 1)
            harness.clock.set(acceptedAt + 6_000)
            try await harness.eventually("rollback done") { try harness.outcomes().count == 2 }
        }
        let rollback = try harness.outcomes()[1]
        #expect(rollback.outcome?.outcome == .succeeded, "\(String(describing: rollback.outcome))")
        let sent = await harness.simulator.receivedRequests().filter { $0.path.hasSuffix("/sale/rollback") }
        let saleAccepted = try #require(try harness.store.find(reference: sale).first?.acceptedAt)
        #expect(sent.count == 1 && sent.allSatisfy { $0.receivedAt >= saleAccepted + 5_000 })
    }

    @Test("a rollback is not sent once the device has taken the sale: it ends 'not revocable'")
    func rollbackRefusedOnDevice() async throws {
        let harness = try await WorkerHarness(device: DeviceSettings(takeDelayMillis: 3_000, processingMillis: 600_000, defaultOutcome: .alwaysSucceed))
        defer { Task { await harness.finish() } }
        let sale = Payloads.key()
        try await harness.withWorker { _ in
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .syncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
            _ = try harness.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale))
            harness.clock.advance(by: 10_000)
            try await harness.eventually("rollback decided") { try harness.outcomes().count == 2 }
        }
        let rollback = try harness.outcomes()[1]
        #expect(rollback.outcome?.outcome == .failed && rollback.outcome?.reason == .notRevocable)
        #expect(await harness.simulator.receivedRequests().filter { $0.path.hasSuffix("/rollback") }.isEmpty)
    }

    @Test("a sale whose deadline passes while Paywall is unreachable expires and is never sent late")
    func expiresWhileOffline() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try await harness.simulator.setOffline(true)
        let sale = Payloads.key()
        try await harness.withWorker { _ in
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("paused") {
                try harness.store.list(CommandFilter()).first?.lastError?.contains("connection") == true
            }
            // created_at is the database's real time, the manual clock started earlier: a loaded
            // machine puts seconds between them. Step past the 3-minute deadline by the command's
            // own created_at, not by a guess, then a second at a time.
            let created = try #require(try harness.store.find(reference: sale).first?.createdAt)
            harness.clock.set(max(harness.clock.now(), created + 180_001))
            try await harness.eventually("expired") {
                harness.clock.advance(by: 100)
                return try harness.outcomes().count == 1
            }
            try await harness.simulator.setOffline(false)
            harness.clock.advance(by: 120_000)
            try await Task.sleep(for: .milliseconds(200))
        }
        let outcome = try #require(try harness.outcomes().first?.outcome)
        #expect(outcome.outcome == .expired)
        #expect(await harness.simulator.saleRequestCount(merchantUniqueCode: sale).received == 0)
        #expect(try harness.store.find(reference: sale).first?.attempts == 0)
    }

    @Test("an answer lost after Paywall processed the sale is reconciled by lookup: one payment, one success")
    func droppedAnswerReconciled() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        await harness.simulator.scriptFaults([.dropAfterProcessing])
        let sale = Payloads.key()
        _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
        try await harness.withWorker { _ in
            // Marked before the request left; the lost answer is recorded after it.
            try await harness.eventually("marked for reconciliation") {
                let command = try harness.store.find(reference: sale).first
                return command?.needsReconcile == true && command?.lastError?.contains("outcome unknown") == true
            }
            harness.clock.advance(by: 60_000)
            try await harness.eventually("reconciled") { try harness.outcomes().count == 1 }
        }
        let outcome = try #require(try harness.outcomes().first?.outcome)
        #expect(outcome.outcome == .succeeded && outcome.reason == .reconciled)
        let count = await harness.simulator.saleRequestCount(merchantUniqueCode: sale)
        #expect(count.received == 1 && count.accepted == 1)
        #expect(outcome.paymentRequestId == (await harness.simulator.payment(merchantUniqueCode: sale))?.paymentRequestId)
    }
}

@Suite("Worker logs", .serialized)
struct WorkerLogTests {
    /// docs/worker.md (Logs): `grep outbox.command.id=42` finds a command's whole story, so the
    /// client's lines about a command's request carry the command's metadata.
    @Test("the client's lines about a command's request carry outbox.command.id")
    func clientLinesCarryTheCommand() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        let logs = LogCapture()
        let key = Payloads.key()
        let id = try harness.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        try await harness.withWorker(logger: logs.logger) { _ in
            try await harness.eventually("outcome") {
                harness.clock.advance(by: 50)
                return try harness.outcomes().count == 1
            }
        }
        let lines = logs.all.filter { $0.metadata["paywall.http.path"]?.hasSuffix("/async/sale") == true }
        #expect(lines.map(\.message) == ["Sending Paywall request", "Paywall request done"])
        #expect(lines.allSatisfy { $0.metadata["outbox.command.id"] == "\(id.id)" }, "\(lines.map(\.text))")
        #expect(lines.allSatisfy { $0.level == .debug })
        let finished = logs.all.filter { $0.message == "Command finished" }
        #expect(finished.count == 1 && finished[0].level == .info)
        #expect(finished.first?.metadata["outbox.command.id"] == "\(id.id)")
        #expect(finished.first?.metadata["outbox.outcome"] == "succeeded")
        #expect(finished.first?.metadata["outbox.attempt"] == "1")
    }
}
