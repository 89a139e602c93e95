import Foundation
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Testing

@testable import OutboxWorker

/// Rollbacks end to end against the simulator, on the injected (manual) clock, for both kinds:
/// the sale rollback revokes the sale, the cancel rollback revokes the cancel.
@Suite("Worker: rollbacks of both kinds", .serialized)
struct WorkerRollbackTests {
    enum Kind: String, CaseIterable, Sendable {
        case sale, cancel
        var command: CommandKind { self == .sale ? .syncSaleRollback : .syncCancelRollback }
        var path: String { self == .sale ? "/sale/rollback" : "/cancel/rollback" }
    }

    /// Queues a sync sale (and, for a cancel rollback, a cancel of it) and waits until Paywall
    /// accepted the command to revoke; returns the sale's key and that acceptance time.
    static func prepare(_ harness: WorkerHarness, _ kind: Kind, asyncSale: Bool = false) async throws -> (
        String, EpochMillis
    ) {
        let sale = Payloads.key()
        _ = try harness.store.enqueue(
            NewCommand(commandKey: sale, kind: asyncSale ? .asyncSale : .syncSale, payload: Payloads.sale(sale)))
        try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
        guard kind == .cancel else {
            return (sale, try #require(try harness.store.find(reference: sale).first?.acceptedAt))
        }
        let cancelKey = Payloads.key()
        _ = try harness.store.enqueue(
            NewCommand(commandKey: cancelKey, kind: .syncCancel, payload: "{}", saleKey: sale))
        try await harness.eventually("cancel accepted") { try harness.outcomes().count == 2 }
        return (sale, try #require(try harness.store.find(reference: cancelKey).first?.acceptedAt))
    }

    static func rollbackRequests(_ harness: WorkerHarness, _ kind: Kind) async -> [ReceivedRequest] {
        await harness.simulator.receivedRequests().filter { $0.path.hasSuffix(kind.path) }
    }

    static func rollbackRow(_ harness: WorkerHarness, _ kind: Kind) throws -> OutboxCommand? {
        try harness.store.list(CommandFilter(kinds: [kind.command.rawValue])).first
    }

    @Test("not taken (status 2): sent after the window, rolled back (12)", arguments: Kind.allCases)
    func notTakenIsRolledBack(kind: Kind) async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let (sale, accepted) = try await Self.prepare(harness, kind)
            let before = try harness.outcomes().count
            _ = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: kind.command, payload: "{}", saleKey: sale))
            try await harness.eventually("waiting for the window") {
                try Self.rollbackRow(harness, kind)?.lastError?.hasPrefix("waiting: rollback window") == true
            }
            #expect(await Self.rollbackRequests(harness, kind).isEmpty)
            harness.clock.set(accepted + 6_000)
            try await harness.eventually("rollback done") { try harness.outcomes().count == before + 1 }
            let row = try #require(try harness.outcomes().last?.outcome)
            #expect(row.outcome == .succeeded, "\(row)")
            #expect(row.paymentStatusId == PaymentStatus.rolledBack.rawValue)
            let sent = await Self.rollbackRequests(harness, kind)
            #expect(sent.count == 1 && sent.allSatisfy { $0.receivedAt >= accepted + 5_000 })
        }
    }

    @Test("taken by the device (status 11): not sent, not_revocable", arguments: Kind.allCases)
    func takenIsNotSent(kind: Kind) async throws {
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 3_000, processingMillis: 600_000, defaultOutcome: .alwaysSucceed))
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let (sale, accepted) = try await Self.prepare(harness, kind)
            let before = try harness.outcomes().count
            _ = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: kind.command, payload: "{}", saleKey: sale))
            harness.clock.set(accepted + 10_000)
            try await harness.eventually("rollback decided") { try harness.outcomes().count == before + 1 }
            let row = try #require(try harness.outcomes().last?.outcome)
            #expect(row.outcome == .failed && row.reason == .notRevocable, "\(row)")
            #expect(row.paymentStatusId == PaymentStatus.takenByDevice.rawValue)
            #expect(row.message?.contains("11 TakenByDevice") == true, "\(row.message ?? "")")
            #expect(await Self.rollbackRequests(harness, kind).isEmpty)
        }
    }

    @Test("refused by Paywall well after the window while not taken: not_revocable with Paywall's words")
    func refusedIsNotRevocable() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            // The simulator refuses any rollback of an async sale (the device never took it).
            let (sale, accepted) = try await Self.prepare(harness, .sale, asyncSale: true)
            _ = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale))
            harness.clock.set(accepted + 10_000)
            try await harness.eventually("rollback decided") { try harness.outcomes().count == 2 }
            let row = try #require(try harness.outcomes().last?.outcome)
            #expect(row.outcome == .failed && row.reason == .notRevocable, "\(row)")
            #expect(row.clientMessage == PhysicalError.notConvenientStatusForThisOperation.rawValue)
            #expect(row.message?.contains("Payment.Async.NotConvenientStatusForThisOperation") == true)
            #expect(row.paymentStatusId == PaymentStatus.sentToDevice.rawValue)
            #expect(await Self.rollbackRequests(harness, .sale).count == 1)
        }
    }

    @Test(
        "refused as too early by Paywall's clock: one retry after the window, then rolled back",
        arguments: Kind.allCases)
    func tooEarlyIsRetried(kind: Kind) async throws {
        // A negative margin plays a Paywall whose window opened later than ours: the worker's
        // window opens 2 s after acceptance, Paywall's 5 s.
        let harness = try await WorkerHarness(adjust: { $0.rollbackMarginMillis = -3_000 })
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let (sale, accepted) = try await Self.prepare(harness, kind)
            let before = try harness.outcomes().count
            _ = try harness.store.enqueue(
                NewCommand(commandKey: Payloads.key(), kind: kind.command, payload: "{}", saleKey: sale))
            harness.clock.set(accepted + 2_000)
            try await harness.eventually("refused and rescheduled once") {
                try Self.rollbackRow(harness, kind)?.lastError?.contains("retrying once") == true
            }
            #expect(await Self.rollbackRequests(harness, kind).count == 1)
            #expect(try harness.outcomes().count == before)
            harness.clock.set(accepted + 2_000 + WorkerConfiguration.paywallRollbackWindowMillis)
            try await harness.eventually("rollback done") { try harness.outcomes().count == before + 1 }
            let row = try #require(try harness.outcomes().last?.outcome)
            #expect(row.outcome == .succeeded, "\(row)")
            #expect(row.paymentStatusId == PaymentStatus.rolledBack.rawValue)
            #expect(await Self.rollbackRequests(harness, kind).count == 2)
        }
    }
}
