import Foundation
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: operator queries")
struct QueryTests {
    @Test("find resolves a row id, a key prefix, or a PaymentRequestId")
    func findReference() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let id = try store.enqueue(sale).id
        _ = try store.enqueue(Sample.sale())
        let prid = Sample.guid()
        _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 1_000)
        try store.record(
            [CommandUpdate(commandID: id, precondition: .leasedBy("w"), paywallPaymentRequestId: prid,
                           next: .finish(InboxOutcome(.succeeded)))], worker: "w", now: 1)
        #expect(try store.find(reference: "\(id)").map(\.id) == [id])
        #expect(try store.find(reference: String(sale.commandKey.prefix(13)).uppercased()).map(\.id) == [id])
        #expect(try store.find(reference: prid).map(\.id) == [id])
        #expect(try store.find(reference: "%").isEmpty)
        #expect(try store.find(reference: "").isEmpty)
    }

    @Test("list filters by state, kind, terminal, time and key prefix, newest first, with a limit")
    func listFilters() throws {
        let store = try TestDatabase().open()
        let a = try store.enqueue(NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"A"}"#, createdAt: EpochRange.earliest + 100)).id
        let b = try store.enqueue(NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"B"}"#, createdAt: EpochRange.earliest + 200)).id
        let sale = Sample.sale()
        let c = try store.enqueue(NewCommand(commandKey: sale.commandKey, kind: .asyncSale, payload: sale.payload, createdAt: EpochRange.earliest + 300)).id
        #expect(try store.list(CommandFilter()).map(\.id) == [c, b, a])
        #expect(try store.list(CommandFilter(limit: 1)).map(\.id) == [c])
        #expect(try store.list(CommandFilter(kinds: ["async_pair_request"])).map(\.id) == [b, a])
        #expect(try store.list(CommandFilter(terminal: "B")).map(\.id) == [b])
        #expect(try store.list(CommandFilter(createdFrom: EpochRange.earliest + 150, createdBefore: EpochRange.earliest + 300)).map(\.id) == [b])
        #expect(try store.list(CommandFilter(keyPrefix: String(sale.commandKey.prefix(8)))).map(\.id) == [c])
        #expect(try store.list(CommandFilter(states: [.succeeded])).isEmpty)
        #expect(try store.list(CommandFilter(states: [.pending])).count == 3)
    }

    @Test("a sale and its follow-ups are related both ways, by key and by PaymentRequestId")
    func relatedCommands() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale(kind: .syncSale)
        let saleID = try store.enqueue(sale).id
        let byKey = try store.enqueue(Sample.cancel(saleKey: sale.commandKey, kind: .syncSaleRollback)).id
        let prid = Sample.guid()
        let byPayment = try store.enqueue(NewCommand(commandKey: Sample.guid(), kind: .syncCancel, payload: "{}", paymentRequestId: prid)).id
        let unrelated = try store.enqueue(Sample.sale()).id
        try store.pool.write {
            try $0.execute(sql: "UPDATE outbox SET paywall_payment_request_id = ? WHERE id = ?", arguments: [prid, saleID])
        }
        #expect(try store.detail(id: saleID)?.related.map(\.id) == [byKey, byPayment])
        #expect(try store.detail(id: byKey)?.related.map(\.id) == [saleID, byPayment])
        #expect(try store.detail(id: byPayment)?.related.map(\.id) == [saleID, byKey])
        #expect(try store.detail(id: unrelated)?.related.isEmpty == true)
    }

    @Test("the overview counts states, leases, trouble and what is due")
    func overview() throws {
        let store = try TestDatabase().open()
        let ids = try (0..<4).map { _ in try store.enqueue(Sample.sale()).id }
        _ = try store.claim(owner: "w1", now: 0, limit: 2, leaseMillis: 5_000)
        try store.record(
            [CommandUpdate(commandID: ids[0], precondition: .leasedBy("w1"), next: .finish(InboxOutcome(.dead, reason: .attemptsExhausted)))],
            worker: "w1", now: 1_000)
        try store.record(
            [CommandUpdate(commandID: ids[1], precondition: .leasedBy("w1"), next: .reschedule(dueAt: 9_000, needsReconcile: true, lastError: "timeout"))],
            worker: "w1", now: 1_000)
        _ = try store.claim(owner: "w2", now: 1_000, limit: 1, leaseMillis: 5_000)
        let view = try store.overview(now: 2_000, troubleSince: 500)
        let byState = Dictionary(grouping: view.counts, by: \.state).mapValues { $0.reduce(0) { $0 + $1.count } }
        #expect(byState == [.dead: 1, .pending: 2, .inFlight: 1])
        #expect(view.leases == [QueueOverview.Lease(owner: "w2", count: 1, earliestExpiry: 6_000)])
        #expect(view.recentTrouble == [.dead: 1])
        #expect(try store.overview(now: 2_000, troubleSince: 1_001).recentTrouble.isEmpty)
        #expect(view.nextDueAt == 9_000)
        #expect(view.dueNow == 1)
        #expect(view.awaitingReconcile == 1)
        #expect(view.oldestUnfinished?.id == ids[1])
    }
}
