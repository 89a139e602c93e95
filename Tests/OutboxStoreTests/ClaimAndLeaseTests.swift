import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: claiming and leases")
struct ClaimAndLeaseTests {
    @Test("the claim query reads the partial index of pending rows, never the whole table")
    func claimUsesIndex() throws {
        let store = try TestDatabase().open()
        let plan = try store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + OutboxStore.claimSQL, arguments: ["w", 1, 1, 1, 1])
                .map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX outbox_due") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN outbox") }, "\(plan)")
        // The expired-lease query reads the leased rows' index.
        let leasePlan = try store.pool.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE state = 'in_flight' AND lease_expires_at < 5"
            ).map { $0["detail"] as String }
        }
        #expect(leasePlan.contains { $0.contains("outbox_leased") }, "\(leasePlan)")
    }

    @Test("claims hand each due command to one claimer, in due order, and leave future ones")
    func claimOnce() throws {
        let store = try TestDatabase().open()
        let ids = try (0..<5).map { _ in try store.enqueue(Sample.sale()).id }
        // Push the last one into the future through a worker reschedule.
        let first = try store.claim(owner: "a", now: 1_000, limit: 10, leaseMillis: 30_000)
        #expect(first.map(\.id) == ids)
        #expect(first.allSatisfy { $0.state == .inFlight && $0.leaseOwner == "a" && $0.leaseExpiresAt == 31_000 })
        try store.record(
            [CommandUpdate(
                commandID: ids[4], precondition: .leasedBy("a"),
                next: .reschedule(dueAt: 5_000, needsReconcile: false, lastError: "waiting"))],
            worker: "a", now: 1_000)
        try store.release(ids: Array(ids[0..<4]), owner: "a", now: 1_000)
        let second = try store.claim(owner: "b", now: 2_000, limit: 2, leaseMillis: 30_000)
        let third = try store.claim(owner: "c", now: 2_000, limit: 10, leaseMillis: 30_000)
        #expect(second.map(\.id) == [ids[0], ids[1]])
        #expect(third.map(\.id) == [ids[2], ids[3]])
        #expect(try store.claim(owner: "d", now: 4_999, limit: 10, leaseMillis: 1).isEmpty)
        #expect(try store.claim(owner: "d", now: 5_000, limit: 10, leaseMillis: 1).map(\.id) == [ids[4]])
    }

    @Test("an expired lease of a command whose send had started returns it marked for reconciliation; a live one stays")
    func expiredLeases() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "dead-worker", now: 1_000, limit: 1, leaseMillis: 10_000)
        #expect(try store.markSending(commandID: id, owner: "dead-worker", now: 1_001, durable: false))
        #expect(try store.releaseExpiredLeases(now: 10_999).isEmpty)
        #expect(try store.command(id: id)?.state == .inFlight)
        #expect(try store.releaseExpiredLeases(now: 11_001) == [id])
        let command = try #require(try store.command(id: id))
        #expect(command.state == .pending && command.needsReconcile && command.leaseOwner == nil)
        #expect(command.lastError?.contains("dead-worker") == true)
        // The dead worker cannot record over the next owner.
        let again = try store.claim(owner: "next", now: 11_002, limit: 1, leaseMillis: 10_000)
        #expect(again.first?.needsReconcile == true)
        let stale = CommandUpdate(commandID: id, precondition: .leasedBy("dead-worker"), next: .finish(InboxOutcome(.succeeded)))
        #expect(try store.record([stale], worker: "dead-worker", now: 11_003) == false)
        #expect(try store.command(id: id)?.state == .inFlight)
    }

    @Test("a lease is extended only by its holder")
    func extendLease() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "a", now: 0, limit: 1, leaseMillis: 100)
        #expect(try store.extendLeases(ids: [id], owner: "b", until: 9_000, now: 50).isEmpty)
        #expect(try store.extendLeases(ids: [id], owner: "a", until: 9_000, now: 50) == [id])
        #expect(try store.releaseExpiredLeases(now: 5_000).isEmpty)
        #expect(try store.command(id: id)?.leaseExpiresAt == 9_000)
    }

    @Test("released (never sent) commands come back without a reconcile mark")
    func releaseUnsent() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "a", now: 0, limit: 1, leaseMillis: 100)
        #expect(try store.release(ids: [id], owner: "b", now: 1) == 0)
        #expect(try store.release(ids: [id], owner: "a", now: 1) == 1)
        let command = try #require(try store.command(id: id))
        #expect(command.state == .pending && !command.needsReconcile)
    }

    @Test("an expired lease of a command never sent returns it without a reconcile mark; the open send row is closed")
    func expiredLeaseNeverSent() throws {
        let store = try TestDatabase().open()
        let unsent = try store.enqueue(Sample.sale()).id
        let sent = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "dead-worker", now: 1_000, limit: 2, leaseMillis: 10_000)
        #expect(try store.markSending(commandID: sent, owner: "dead-worker", now: 1_500, durable: true))
        #expect(try store.markSending(commandID: sent, owner: "someone-else", now: 1_500, durable: false) == false)
        #expect(Set(try store.releaseExpiredLeases(now: 11_001)) == [unsent, sent])
        #expect(try store.command(id: unsent)?.needsReconcile == false)
        #expect(try store.command(id: sent)?.needsReconcile == true)
        let rows = try #require(try store.detail(id: sent)).attempts
        #expect(rows.count == 1 && rows[0].record.outcome == "unknown" && rows[0].record.startedAt == 1_500)
        #expect(try store.sendHistory(commandID: sent) == SendHistory(firstSendAt: 1_500, lastSendAt: 1_500, sends: 1))
        #expect(try store.sendHistory(commandID: unsent) == SendHistory())
    }

    @Test("the answer completes the send row opened before the request left")
    func sendRowCompleted() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 1_000, limit: 1, leaseMillis: 10_000)
        #expect(try store.markSending(commandID: id, owner: "w", now: 1_100, durable: false))
        let update = CommandUpdate(
            commandID: id, precondition: .leasedBy("w"),
            attempt: AttemptRecord(startedAt: 1_100, durationMillis: 40, httpStatus: 200, outcome: "succeeded"),
            countsAsAttempt: true, next: .finish(InboxOutcome(.succeeded)))
        #expect(try store.record([update], worker: "w", now: 1_140))
        let rows = try #require(try store.detail(id: id)).attempts
        #expect(rows.map(\.record.outcome) == ["succeeded"] && rows[0].record.durationMillis == 40)
        #expect(try store.command(id: id)?.needsReconcile == false)
    }

    @Test("a worker never takes back the leases of the commands it is still working on")
    func sparedLeases() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "me", now: 1_000, limit: 1, leaseMillis: 10)
        #expect(try store.releaseExpiredLeases(now: 5_000, sparing: [id]).isEmpty)
        #expect(try store.releaseExpiredLeases(now: 5_000) == [id])
    }
}

@Suite("Store: the last checks before a request leaves")
struct SendMarkTests {
    @Test("no mark past the deadline, read inside the transaction: the request must not go")
    func pastDeadline() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 1_000, limit: 1, leaseMillis: 60_000)
        #expect(
            try store.markSending(commandID: id, owner: "w", clock: FixedWallClock(5_001), deadline: 5_000, durable: false)
                == .pastDeadline(at: 5_001))
        #expect(try store.command(id: id)?.needsReconcile == false)
        #expect(try store.sendHistory(commandID: id) == SendHistory())
    }

    @Test("a revocation group applies only while the others are certainly unsent")
    func revocationNeedsNeverSent() throws {
        let store = try TestDatabase().open()
        let sale = try store.enqueue(Sample.sale()).id
        // Another worker sent the sale meanwhile and its answer was lost: pending, marked.
        _ = try store.claim(owner: "a", now: 1_000, limit: 1, leaseMillis: 60_000)
        #expect(try store.markSending(commandID: sale, owner: "a", now: 1_001, durable: false))
        _ = try store.record(
            [CommandUpdate(
                commandID: sale, precondition: .leasedBy("a"),
                next: .reschedule(dueAt: 2_000, needsReconcile: true, lastError: "outcome unknown"))],
            worker: "a", now: 1_002)
        let revoke = CommandUpdate(
            commandID: sale, precondition: .neverSent,
            next: .finish(InboxOutcome(.revoked, reason: .revokedLocally)))
        #expect(try store.record([revoke], worker: "b", now: 1_003) == false)
        #expect(try store.command(id: sale)?.state == .pending)
    }
}

@Suite("Schema 004 on a database with commands in flight")
struct Migration004Tests {
    @Test("commands in flight when 004 runs are marked and get a send row ending with their lease")
    func inFlightMarked() throws {
        let database = try TestDatabase()
        let queue = try DatabaseQueue(
            path: database.path, configuration: ProductConnection.configuration(label: "t", busyTimeoutSeconds: 5))
        let key = Sample.guid()
        try queue.writeWithoutTransaction { db in
            for migration in embeddedMigrations where migration.version <= 3 { try db.execute(sql: migration.sql) }
            try db.execute(
                sql: "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?)",
                arguments: [key, Sample.salePayload(key: key)])
            try db.execute(sql: "UPDATE outbox SET state = 'in_flight', lease_owner = 'old', lease_expires_at = 1790000060000")
        }
        let store = try database.open()
        let command = try #require(try store.find(reference: key).first)
        #expect(command.needsReconcile)
        #expect(try store.sendHistory(commandID: command.id).lastSendAt == 1_790_000_060_000)
    }
}
