import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: the reads behind inspect list --follow")
struct ListFollowQueryTests {
    @Test("follow snapshots: unfinished rows, and each outcome once by inbox cursor, over indexes")
    func follow() throws {
        let store = try TestDatabase().open()
        let first = try store.enqueue(Sample.sale()).id
        let seed = try store.listFollowSnapshot(afterInbox: nil)
        #expect(seed.unfinished.map(\.id) == [first])
        #expect(seed.finished.isEmpty)
        let second = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 10, limit: 1, leaseMillis: 1_000)
        try store.record(
            [CommandUpdate(commandID: first, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
            worker: "w", now: 20)
        let next = try store.listFollowSnapshot(afterInbox: seed.inboxCursor)
        #expect(next.unfinished.map(\.id) == [second])
        #expect(next.finished.map(\.command.id) == [first])
        #expect(next.finished.first?.outcome == "succeeded")
        #expect(try store.listFollowSnapshot(afterInbox: next.inboxCursor).finished.isEmpty, "each outcome once")
        let plan = try MonitoringQueryTests.plan(
            store, "SELECT id FROM outbox WHERE state = 'pending' UNION ALL SELECT id FROM outbox WHERE state = 'in_flight'")
        #expect(!plan.contains { $0.hasPrefix("SCAN outbox") && !$0.contains("INDEX") }, "\(plan)")
    }
}
