import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: the reads behind /metrics and /ready")
struct MonitoringQueryTests {
    /// Every table access of `sql` goes through an index: finished history is never scanned.
    static func plan(_ store: OutboxStore, _ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        try store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    @Test("the census reads the partial indexes of pending, leased and troubled rows, never the whole table")
    func censusUsesIndexes() throws {
        let store = try TestDatabase().open()
        let plan = try Self.plan(store, OutboxStore.censusSQL, ["now": 1])
        for index in ["outbox_due", "outbox_leased", "outbox_troubled"] {
            #expect(plan.contains { $0.contains(index) }, "\(plan)")
        }
        #expect(!plan.contains { $0.hasPrefix("SCAN outbox") && !$0.contains("INDEX") }, "\(plan)")
    }

    @Test("the overview's recent trouble reads outbox_troubled (the index's own words: troubledCondition)")
    func recentTroubleUsesIndex() throws {
        let store = try TestDatabase().open()
        let plan = try Self.plan(store, OutboxStore.recentTroubleSQL, [1])
        #expect(plan.contains { $0.contains("USING INDEX outbox_troubled") }, "\(plan)")
    }

    @Test("the census counts by state and kind, finds the oldest due command and the reconcile backlog")
    func census() throws {
        let store = try TestDatabase().open()
        let now: EpochMillis = 1_800_000_000_000
        // Three due sales (created 30 s, 20 s, 10 s ago), a pair request due later, one in flight
        // needing reconciliation, one dead, one succeeded (history: not counted).
        let sales = try [30_000, 20_000, 10_000].map { age -> Int64 in
            var sale = Sample.sale()
            sale.createdAt = now - Int64(age)
            return try store.enqueue(sale).id
        }
        let later = try store.enqueue(
            NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#)).id
        let leased = try store.enqueue(
            NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T2"}"#)).id
        let dead = try store.enqueue(Sample.sale(kind: .syncSale)).id
        let done = try store.enqueue(Sample.sale(kind: .syncSale)).id
        let claimed = try store.claim(owner: "w", now: now, limit: 100, leaseMillis: 60_000)
        #expect(claimed.count == 7)
        try store.release(ids: sales, owner: "w", now: now)
        try store.record(
            [
                CommandUpdate(
                    commandID: later, precondition: .leasedBy("w"),
                    next: .reschedule(dueAt: now + 60_000, needsReconcile: false, lastError: "waiting")),
                CommandUpdate(
                    commandID: dead, precondition: .leasedBy("w"),
                    next: .finish(InboxOutcome(.dead, reason: .attemptsExhausted, message: "gave up"))),
                CommandUpdate(
                    commandID: done, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded, reason: nil))),
            ], worker: "w", now: now)
        _ = try store.markSending(
            commandID: leased, owner: "w", clock: FixedWallClock(now), deadline: now + 600_000, durable: false)

        let census = try store.queueCensus(now: now)
        #expect(census.count(.pending, "async_sale") == 3)
        #expect(census.count(.pending, "async_pair_request") == 1)
        #expect(census.count(.inFlight, "async_pair_request") == 1)
        #expect(census.count(.dead, "sync_sale") == 1)
        #expect(census.count(.succeeded, "sync_sale") == 0, "history is not counted")
        #expect(census.needsReconcile == 1)
        // The given-back sales kept due_at 0 (due at once): due since their creation, the oldest
        // 30 s ago. The pair request rescheduled a minute ahead is not due.
        #expect(census.oldestDueSince == now - 30_000)
        // A rescheduled row is due since its due_at.
        let later2 = try store.queueCensus(now: now + 90_000)
        #expect(later2.oldestDueSince == now - 30_000)
        #expect(try TestDatabase().open().queueCensus(now: now).oldestDueSince == nil)
        let rescheduled = try TestDatabase().open()
        let only = try rescheduled.enqueue(Sample.sale()).id
        _ = try rescheduled.claim(owner: "w", now: now, limit: 1, leaseMillis: 1_000)
        try rescheduled.record(
            [CommandUpdate(
                commandID: only, precondition: .leasedBy("w"),
                next: .reschedule(dueAt: now + 5_000, needsReconcile: false, lastError: "retry"))],
            worker: "w", now: now)
        #expect(try rescheduled.queueCensus(now: now).oldestDueSince == nil)
        #expect(try rescheduled.queueCensus(now: now + 8_000).oldestDueSince == now + 5_000)
    }

    @Test("readiness facts: the schema version and the worker's own heartbeat")
    func readiness() throws {
        let store = try TestDatabase().open()
        let before = try store.readinessFacts(worker: "w")
        #expect(before.schemaVersion == OutboxStore.latestSchemaVersion)
        #expect(before.heartbeatAt == nil)
        try store.heartbeat(
            worker: "w", WorkerHeartbeat(state: "running", startedAt: 5, inFlight: 0), now: 1_234)
        let after = try store.readinessFacts(worker: "w")
        #expect(after.heartbeatAt == 1_234 && after.heartbeatState == "running")
        #expect(try store.readinessFacts(worker: "other").heartbeatAt == nil)
    }
}
