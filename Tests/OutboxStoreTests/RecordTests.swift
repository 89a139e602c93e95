import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: recording outcomes")
struct RecordTests {
    @Test("finishing writes the state, the attempt and one inbox row together")
    func finishWritesEverything() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let id = try store.enqueue(sale).id
        _ = try store.claim(owner: "w", now: 100, limit: 1, leaseMillis: 1_000)
        let prid = Sample.guid()
        let applied = try store.record(
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"),
                attempt: AttemptRecord(startedAt: 110, durationMillis: 7, httpStatus: 200, outcome: "succeeded"),
                countsAsAttempt: true, paywallPaymentRequestId: prid, acceptedAt: 117,
                next: .finish(InboxOutcome(.succeeded, paymentRequestId: prid, paymentStatusId: 2, rawResponse: "{}", httpStatus: 200)))],
            worker: "w", now: 120)
        #expect(applied)
        let detail = try #require(try store.detail(id: id))
        #expect(detail.command.state == .succeeded && detail.command.attempts == 1)
        #expect(detail.command.paywallPaymentRequestId == prid && detail.command.acceptedAt == 117)
        #expect(detail.command.finishedAt == 120 && detail.command.leaseOwner == nil)
        #expect(detail.attempts.map(\.record.outcome) == ["succeeded"])
        #expect(detail.attempts.first?.worker == "w")
        #expect(detail.inbox.count == 1)
        #expect(detail.inbox.first?.outcome?.outcome == .succeeded)
        #expect(detail.inbox.first?.outcome?.paymentRequestId == prid)
        #expect(detail.inbox.first?.commandKey == sale.commandKey)
    }

    @Test("a retry keeps the command pending with its error; attempts count only when asked")
    func rescheduleCounts() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        for (counts, expected) in [(true, 1), (false, 1), (true, 2)] {
            _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 1_000)
            try store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("w"),
                    attempt: AttemptRecord(startedAt: 0, outcome: "transient", error: "HTTP 503"), countsAsAttempt: counts,
                    next: .reschedule(dueAt: 0, needsReconcile: false, lastError: "HTTP 503"))],
                worker: "w", now: 0)
            let command = try #require(try store.command(id: id))
            #expect(command.state == .pending && command.attempts == expected && command.lastError == "HTTP 503")
        }
        #expect(try store.inbox(after: 0).isEmpty)
        #expect(try store.detail(id: id)?.attempts.count == 3)
    }

    @Test("a group is all or nothing: revoking a sale fails whole when another worker holds the sale")
    func groupAtomic() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let saleID = try store.enqueue(sale).id
        let rollbackID = try store.enqueue(Sample.cancel(saleKey: sale.commandKey, kind: .syncSaleRollback)).id
        // Worker "w" holds only the rollback; the sale is still unclaimed.
        _ = try store.pool.write {
            try $0.execute(sql: "UPDATE outbox SET due_at = 9999999 WHERE id = ?", arguments: [saleID])
        }
        #expect(try store.claim(owner: "w", now: 0, limit: 5, leaseMillis: 1_000).map(\.id) == [rollbackID])
        let revoke = [
            CommandUpdate(commandID: saleID, precondition: .pendingUnleased, next: .finish(InboxOutcome(.revoked, reason: .revokedLocally))),
            CommandUpdate(commandID: rollbackID, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.revoked, reason: .revokedLocally))),
        ]
        // Meanwhile another worker claims the sale: the revocation must not apply.
        _ = try store.pool.write {
            try $0.execute(sql: "UPDATE outbox SET due_at = 0 WHERE id = ?", arguments: [saleID])
        }
        #expect(try store.claim(owner: "other", now: 0, limit: 5, leaseMillis: 1_000).map(\.id) == [saleID])
        #expect(try store.record(revoke, worker: "w", now: 1) == false)
        #expect(try store.command(id: rollbackID)?.state == .inFlight)
        #expect(try store.inbox(after: 0).isEmpty)
        // Once the sale is back in the queue unleased, the same group applies.
        try store.release(ids: [saleID], owner: "other", now: 2)
        #expect(try store.record(revoke, worker: "w", now: 3))
        #expect(try store.command(id: saleID)?.state == .revoked)
        #expect(try store.command(id: rollbackID)?.state == .revoked)
        #expect(try store.inbox(after: 0).map(\.outcome?.outcome) == [.revoked, .revoked])
    }

    @Test("recordEach applies independent groups separately in one transaction")
    func recordEachIndependent() throws {
        let store = try TestDatabase().open()
        let a = try store.enqueue(Sample.sale()).id
        let b = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 0, limit: 2, leaseMillis: 1_000)
        let results = try store.recordEach(
            [
                [CommandUpdate(commandID: a, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
                [CommandUpdate(commandID: b, precondition: .leasedBy("someone-else"), next: .finish(InboxOutcome(.succeeded)))],
            ], worker: "w", now: 1)
        #expect(results == [true, false])
        #expect(try store.command(id: a)?.state == .succeeded)
        #expect(try store.command(id: b)?.state == .inFlight)
    }

    /// The outbox row's change is one guarded UPDATE whose SET expressions read the row as it was:
    /// `last_error` keeps or replaces the previous error exactly as the two statements it replaced
    /// did. Each row: the next state recorded after a first retry that left "HTTP 503".
    @Test(
        "one UPDATE per outcome: last_error as before for every next state",
        arguments: [
            (CommandUpdate.Next.reschedule(dueAt: 5, needsReconcile: true, lastError: nil), CommandState.pending, "HTTP 503", true),
            (.reschedule(dueAt: 5, needsReconcile: false, lastError: "timeout"), .pending, "timeout", false),
            (.finish(InboxOutcome(.succeeded, message: "Success")), .succeeded, "HTTP 503", false),
            (.finish(InboxOutcome(.failed, message: "Declined")), .failed, "Declined", false),
            (.finish(InboxOutcome(.expired, reason: .deadlinePassed)), .expired, "deadline_passed", false),
            (.finish(InboxOutcome(.dead)), .dead, "HTTP 503", false),
        ] as [(CommandUpdate.Next, CommandState, String, Bool)])
    func oneUpdateKeepsLastError(next: CommandUpdate.Next, state: CommandState, lastError: String, reconcile: Bool) throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 1_000)
        try store.record(
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"), attempt: AttemptRecord(startedAt: 0, outcome: "transient"),
                countsAsAttempt: true, next: .reschedule(dueAt: 0, needsReconcile: false, lastError: "HTTP 503"))],
            worker: "w", now: 1)
        _ = try store.claim(owner: "w", now: 2, limit: 1, leaseMillis: 1_000)
        #expect(try store.record([CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: next)], worker: "w", now: 3))
        let command = try #require(try store.command(id: id))
        #expect(command.state == state && command.lastError == lastError && command.needsReconcile == reconcile)
        #expect(command.leaseOwner == nil && command.leaseExpiresAt == nil && command.updatedAt == 3)
        #expect(command.finishedAt == (state == .pending ? nil : 3))
        #expect(command.dueAt == (state == .pending ? 5 : 0))
    }

    /// A group of one update runs without a savepoint: it stays all or nothing because a failure
    /// after its guarded UPDATE throws out of the transaction, which rolls back every group.
    @Test("a group of one update is all or nothing: a refused inbox row leaves its command leased")
    func singleUpdateAllOrNothing() throws {
        let store = try TestDatabase().open()
        let a = try store.enqueue(Sample.sale()).id
        let b = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 0, limit: 2, leaseMillis: 1_000)
        // An outcome already in the inbox for b's generation: b's own is refused (one per generation).
        try store.pool.write {
            try $0.execute(
                sql: """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at)
                    SELECT id, command_key, kind, generation, 'outcome', 'failed', 0 FROM outbox WHERE id = ?
                    """, arguments: [b])
        }
        let finish = { (id: Int64) in
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"), attempt: AttemptRecord(startedAt: 0, outcome: "succeeded"),
                countsAsAttempt: true, next: .finish(InboxOutcome(.succeeded)))]
        }
        #expect(throws: (any Error).self) { try store.recordEach([finish(a), finish(b)], worker: "w", now: 1) }
        for id in [a, b] {
            let detail = try #require(try store.detail(id: id))
            #expect(detail.command.state == .inFlight && detail.command.leaseOwner == "w" && detail.command.attempts == 0)
            #expect(detail.attempts.isEmpty)
        }
        #expect(try store.inbox(after: 0).count == 1)
    }

    @Test("the database allows one outcome per command generation")
    func oneOutcomePerGeneration() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 1_000)
        try store.record([CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))], worker: "w", now: 1)
        #expect(throws: DatabaseError.self) {
            try store.pool.write {
                try $0.execute(
                    sql: """
                        INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at)
                        SELECT id, command_key, kind, generation, 'outcome', 'failed', 2 FROM outbox WHERE id = ?
                        """, arguments: [id])
            }
        }
    }

    @Test("inbox ids only grow, even after the newest row is purged")
    func inboxCursorNeverReuses() throws {
        let store = try TestDatabase().open()
        var seen: [Int64] = []
        for _ in 0..<3 {
            let id = try store.enqueue(Sample.sale()).id
            _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 1_000)
            try store.record([CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))], worker: "w", now: 1)
            let rows = try store.inbox(after: seen.last ?? 0)
            #expect(rows.count == 1)
            seen.append(rows[0].id)
            if seen.count == 2 {
                try store.pool.write { try $0.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [rows[0].id]) }
            }
        }
        #expect(seen == seen.sorted() && Set(seen).count == 3)
        #expect(seen[2] > seen[1])
    }
}
