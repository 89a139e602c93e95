import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import PaywallClient
import PaywallSimulator
import Testing

@testable import OutboxStore
@testable import OutboxWorker

@Suite("Worker: rows it cannot read", .serialized)
struct UnreadableRowWorkerTests {
    @Test("each never-sent poison row ends failed/unreadable_row once, nothing of it is sent, and a good sale behind it drains")
    func poisonRowsDoNotStopTheWorker() async throws {
        let harness = try await WorkerHarness()
        defer { Task { await harness.finish() } }
        try harness.store.write { try PoisonRows.insert($0) }
        let sale = Payloads.key()
        _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
        try await harness.withWorker { _ in
            try await harness.eventually("nine outcomes") { try harness.outcomes().count == 9 }
        }
        let outcomes = try harness.outcomes()
        #expect(Set(outcomes.map(\.outboxID)).count == 9)
        let poison = outcomes.filter { $0.outboxID <= 8 }
        #expect(poison.count == 8)
        for row in poison {
            #expect(row.outcome?.outcome == .failed && row.outcome?.reason == UnreadableRowRule.reason, "\(row)")
            #expect(row.outcome?.message?.contains("never sent") == true)
        }
        #expect(outcomes.first { $0.outboxID == 9 }?.outcome?.outcome == .succeeded)
        // The inbox carries the key exactly as the producer stored it (the BLOB), not a placeholder.
        let storedKeyType = try harness.store.read { db in
            try String.fetchOne(db, sql: "SELECT typeof(command_key) FROM inbox WHERE outbox_id = 1")
        }
        #expect(storedKeyType == "blob")
        let paths = await harness.simulator.receivedRequests().map(\.path)
        #expect(paths == ["/api/payment/async/sale"], "only the good sale reaches Paywall: \(paths)")
    }
}
