import Foundation
import OutboxModel
import Synchronization
import Testing

@testable import OutboxStore

/// The store contract (``WorkerStore``), one suite for every engine: each test runs against
/// SQLite and memory (``ContractSubject/all``). A rule an engine breaks fails here by its name.
@Suite("Store contract: what every engine behind the worker must do")
struct WorkerStoreContractTests {
    static let t0: EpochMillis = 1_800_000_000_000
    let t0 = Self.t0

    @Test("claims are never double-issued: 8 concurrent claimers drain 240 commands, each exactly once", arguments: ContractSubject.all)
    func concurrentClaimers(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(240, at: t0)
        let claimed = await withTaskGroup(of: [Int64].self) { group in
            for claimer in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch =
                            (try? await s.store.claimBatch(
                                owner: "w\(claimer)", clock: FixedWallClock(Self.t0), limit: 7, leaseMillis: 60_000
                            ) { _, _, _ in .claimOnly }) ?? []
                        if batch.isEmpty { break }
                        mine += batch.map(\.command.id)
                        await Task.yield()
                    }
                    return mine
                }
            }
            return await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(claimed.count == ids.count)
        #expect(Set(claimed) == Set(ids))
        // Nothing is left to claim, and each is leased to one owner.
        #expect(try await s.store.claimBatch(owner: "late", clock: FixedWallClock(t0), limit: 10, leaseMillis: 1) { _, _, _ in .claimOnly }.isEmpty)
        for id in ids.prefix(20) { #expect(try await s.store.command(id: id)?.state == .inFlight) }
    }

    @Test("a claim is due order, leases to its owner, reads the planning context and marks only what decide says", arguments: ContractSubject.all)
    func claimBatchMarks(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let saleKey = Sample.guid()
        let sale = try await s.enqueue(Sample.sale(saleKey), t0)
        let cancel = try await s.enqueue(Sample.cancel(saleKey: saleKey), t0)
        let late = try await s.enqueue(Sample.sale(), t0)
        let claimed = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0 + 5), limit: 10, leaseMillis: 30_000) {
            command, _, now in
            #expect(now == Self.t0 + 5)
            switch command.id {
            case sale: return .markSending(deadline: Self.t0 + 5)
            case late: return .markSending(deadline: Self.t0 + 4)
            default: return .claimOnly
            }
        }
        #expect(claimed.map(\.command.id) == [sale, cancel, late])
        #expect(claimed.map(\.markedAt) == [t0 + 5, nil, nil])
        #expect(claimed[0].context.related.map(\.id) == [cancel])
        #expect(claimed[1].context.sale?.id == sale)
        let marked = try #require(try await s.store.command(id: sale))
        #expect(marked.state == .inFlight && marked.needsReconcile && marked.leaseOwner == "w")
        #expect(marked.leaseExpiresAt == t0 + 5 + 30_000)
        #expect(try await s.attempts(sale).map(\.record.outcome) == ["sending"])
        for id in [cancel, late] {
            #expect(try await s.store.command(id: id)?.needsReconcile == false)
            #expect(try await s.attempts(id).isEmpty)
        }
        // The planning read on its own gives the same context.
        #expect(try await s.store.planningContext(for: claimed[1].command) == claimed[1].context)
    }

    @Test("a record is atomic: a group whose second update's precondition fails writes nothing at all", arguments: ContractSubject.all)
    func atomicRecord(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let a = try await s.enqueue(Sample.sale(), t0)
        let b = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 2, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        let finish = CommandUpdate.Next.finish(InboxOutcome(.succeeded, paymentRequestId: "p-1"))
        let attempt = AttemptRecord(startedAt: t0, durationMillis: 5, httpStatus: 200, outcome: "succeeded")
        let applied = try await s.store.recordEach(
            [([
                CommandUpdate(commandID: a, precondition: .leasedBy("w"), attempt: attempt, paywallPaymentRequestId: "p-1", next: finish),
                CommandUpdate(commandID: b, precondition: .leasedBy("someone else"), next: finish),
            ], t0 + 10)],
            worker: "w")
        #expect(applied == [false])
        for id in [a, b] {
            let command = try #require(try await s.store.command(id: id))
            #expect(command.state == .inFlight && command.leaseOwner == "w" && command.paywallPaymentRequestId == nil)
            #expect(try await s.attempts(id).isEmpty)
        }
        #expect(try await s.inbox(0).isEmpty)
        // The same group with a true precondition: outbox row, attempt and inbox row together.
        #expect(try await s.store.record(
            [CommandUpdate(commandID: a, precondition: .leasedBy("w"), attempt: attempt, paywallPaymentRequestId: "p-1", next: finish)],
            worker: "w", now: t0 + 20))
        let done = try #require(try await s.store.command(id: a))
        #expect(done.state == .succeeded && done.leaseOwner == nil && done.paywallPaymentRequestId == "p-1")
        #expect(done.finishedAt == t0 + 20)
        #expect(try await s.attempts(a).map(\.record.outcome) == ["succeeded"])
        let rows = try await s.inbox(0)
        #expect(rows.map(\.outboxID) == [a])
        #expect(rows.first?.outcome?.outcome == .succeeded && rows.first?.outcome?.paymentRequestId == "p-1")
        // Recorded twice: the second finds the lease gone and writes nothing.
        #expect(try await s.store.record(
            [CommandUpdate(commandID: a, precondition: .leasedBy("w"), next: finish)], worker: "w", now: t0 + 30) == false)
        #expect(try await s.inbox(0).count == 1)
    }

    @Test("groups recorded together are independent: one refused precondition leaves the others applied", arguments: ContractSubject.all)
    func groupsIndependent(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(3, at: t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 3, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        let groups = ids.enumerated().map { index, id in
            (updates: [CommandUpdate(
                commandID: id, precondition: .leasedBy(index == 1 ? "x" : "w"),
                next: .reschedule(dueAt: Self.t0 + 1_000, needsReconcile: false, lastError: "waiting"))],
             now: Self.t0 + 1)
        }
        #expect(try await s.store.recordEach(groups, worker: "w") == [true, false, true])
        #expect(try await s.store.command(id: ids[0])?.state == .pending)
        #expect(try await s.store.command(id: ids[0])?.dueAt == t0 + 1_000)
        #expect(try await s.store.command(id: ids[0])?.lastError == "waiting")
        #expect(try await s.store.command(id: ids[1])?.state == .inFlight)
    }

    @Test("a send's answer completes the row its mark opened; taking a mark back leaves no send behind", arguments: ContractSubject.all)
    func markAndWithdraw(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let a = try await s.enqueue(Sample.sale(), t0)
        let b = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 2, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        #expect(try await s.store.markSending(commandID: a, owner: "w", clock: FixedWallClock(t0 + 1), deadline: nil, durable: true) == .marked(at: t0 + 1))
        #expect(try await s.store.markSending(commandID: b, owner: "other", clock: FixedWallClock(t0 + 1), deadline: nil, durable: false) == .leaseLost)
        #expect(try await s.store.markSending(commandID: b, owner: "w", clock: FixedWallClock(t0 + 9), deadline: t0 + 8, durable: false) == .pastDeadline(at: t0 + 9))
        #expect(try await s.attempts(b).isEmpty)
        let answer = AttemptRecord(startedAt: t0 + 1, durationMillis: 40, httpStatus: 200, outcome: "succeeded")
        #expect(try await s.store.record(
            [CommandUpdate(commandID: a, precondition: .leasedBy("w"), attempt: answer, next: .finish(InboxOutcome(.succeeded)))],
            worker: "w", now: t0 + 41))
        #expect(try await s.attempts(a).map(\.record) == [answer])
        #expect(try await s.store.sendHistory(commandID: a) == SendHistory(firstSendAt: t0 + 1, lastSendAt: t0 + 41, sends: 1))

        #expect(try await s.store.markSending(commandID: b, owner: "w", clock: FixedWallClock(t0 + 2), deadline: nil, durable: false) == .marked(at: t0 + 2))
        let back = CommandUpdate(
            commandID: b, precondition: .leasedBy("w"),
            next: .reschedule(dueAt: t0 + 500, needsReconcile: false, lastError: "waiting: paused"))
        #expect(try await s.store.withdrawMark(commandID: b, owner: "other", needsReconcile: false, then: back, now: t0 + 3) == false)
        #expect(try await s.store.withdrawMark(commandID: b, owner: "w", needsReconcile: false, then: back, now: t0 + 3))
        let withdrawn = try #require(try await s.store.command(id: b))
        #expect(withdrawn.state == .pending && !withdrawn.needsReconcile && withdrawn.dueAt == t0 + 500)
        #expect(try await s.attempts(b).isEmpty)
        #expect(try await s.store.sendHistory(commandID: b).sends == 0)
    }

    @Test("a mark taken back stands even when the update after it is refused: the send it opened is gone, the command stays leased", arguments: ContractSubject.all)
    func withdrawWithRefusedUpdate(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let id = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .markSending(deadline: nil) }
        #expect(try await s.attempts(id).map(\.record.outcome) == ["sending"])
        // An update whose precondition cannot hold for a leased command.
        let refused = CommandUpdate(
            commandID: id, precondition: .pendingUnleased, next: .finish(InboxOutcome(.expired, reason: .deadlinePassed)))
        #expect(try await s.store.withdrawMark(commandID: id, owner: "w", needsReconcile: false, then: refused, now: t0 + 5) == false)
        let command = try #require(try await s.store.command(id: id))
        #expect(command.state == .inFlight && command.leaseOwner == "w" && !command.needsReconcile)
        #expect(try await s.attempts(id).isEmpty)
        #expect(try await s.inbox(0).isEmpty)
    }

    @Test("an in-flight command with no lease end at all (written by hand) is returned like an expired one, never stuck", arguments: ContractSubject.all)
    func leaseWithoutEnd(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let id = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .markSending(deadline: nil) }
        try await s.clearLeaseEnd(id)
        #expect(try await s.store.releaseExpiredLeases(now: t0 + 1, sparing: []) == [id])
        let back = try #require(try await s.store.command(id: id))
        #expect(back.state == .pending && back.needsReconcile && back.leaseOwner == nil)
        #expect(try await s.attempts(id).map(\.record.outcome) == ["unknown"])
    }

    @Test("leases: released, extended only by their owner, and an expired one returns with its reconcile mark and its send unknown", arguments: ContractSubject.all)
    func leases(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(4, at: t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 4, leaseMillis: 1_000) { command, _, _ in
            command.id == ids[2] ? .markSending(deadline: nil) : .claimOnly
        }
        #expect(try await s.store.release(ids: [ids[0]], owner: "other", dueAt: nil, now: t0 + 1) == 0)
        #expect(try await s.store.release(ids: [ids[0]], owner: "w", dueAt: t0 + 700, now: t0 + 1) == 1)
        let released = try #require(try await s.store.command(id: ids[0]))
        #expect(released.state == .pending && released.leaseOwner == nil && released.dueAt == t0 + 700)
        #expect(try await s.store.extendLeases(ids: [ids[1], ids[0]], owner: "w", until: t0 + 5_000, now: t0 + 2) == [ids[1]])
        #expect(try await s.store.extendLeases(ids: [ids[2]], owner: "other", until: t0 + 5_000, now: t0 + 2).isEmpty)
        // At t0 + 1_001 the leases of ids[2] and ids[3] have ended; ids[3] is spared (its holder is alive).
        let expired = try await s.store.releaseExpiredLeases(now: t0 + 1_001, sparing: [ids[3]])
        #expect(expired == [ids[2]])
        let back = try #require(try await s.store.command(id: ids[2]))
        #expect(back.state == .pending && back.needsReconcile && back.leaseOwner == nil && back.dueAt == t0 + 1_001)
        #expect(back.lastError == "lease held by w expired")
        #expect(try await s.attempts(ids[2]).map(\.record.outcome) == ["unknown"])
        #expect(try await s.store.command(id: ids[1])?.state == .inFlight)
        #expect(try await s.store.command(id: ids[3])?.state == .inFlight)
    }

    @Test("while paused, only never-sent commands past their deadline are claimed", arguments: ContractSubject.all)
    func overdue(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let fresh = try await s.enqueue(Sample.sale(), t0)
        var withDeadline = Sample.sale()
        withDeadline.deadline = t0 + 100
        let own = try await s.enqueue(withDeadline, t0)
        let old = try await s.enqueue(Sample.sale(), t0 - 200_000)
        let claimed = try await s.store.claimOverdue(
            owner: "w", now: t0 + 101, limit: 10, leaseMillis: 60_000, defaultDeadlines: [CommandKind.asyncSale.rawValue: 180_000])
        #expect(Set(claimed.map(\.id)) == [own, old])
        #expect(try await s.store.command(id: fresh)?.state == .pending)
    }

    @Test("the inbox cursor never skips a row: concurrent writers, a reader following by id, every outcome once in id order", arguments: ContractSubject.all)
    func inboxCursor(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(120, at: t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 120, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        let writing = Mutex(true)
        async let read: [Int64] = {
            var seen: [InboxRow] = []
            var cursor: Int64 = 0
            while true {
                let more = writing.withLock { $0 }
                let rows = try await s.inbox(cursor)
                seen += rows
                cursor = rows.last?.id ?? cursor
                if !more && rows.isEmpty { return seen.map(\.outboxID) }
                await Task.yield()
            }
        }()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for id in ids where id % 4 == Int64(writer) {
                        _ = try? await s.store.record(
                            [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
                            worker: "w", now: Self.t0 + 1)
                    }
                }
            }
        }
        writing.withLock { $0 = false }
        let seen = try await read
        #expect(seen.count == ids.count)
        #expect(Set(seen) == Set(ids))
        let all = try await s.inbox(0)
        #expect(all.map(\.id) == all.map(\.id).sorted())
    }

    @Test("Retry-After holds never shorten and are capped; a pause keeps its first start and is cleared only by a newer answer", arguments: ContractSubject.all)
    func sharedDispatch(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        try await s.store.setHold(credentials: "private", until: t0 + 5_000, reason: "429", by: "a", now: t0)
        try await s.store.setHold(credentials: "private", until: t0 + 2_000, reason: "429", by: "b", now: t0 + 1)
        try await s.store.setHold(credentials: "public", until: t0 + 9_999_999, reason: "503", by: "b", now: t0)
        var shared = try await s.store.sharedDispatch(now: t0 + 10, maxHoldMillis: 60_000)
        #expect(shared.holds == ["private": t0 + 5_000, "public": t0 + 10 + 60_000])
        #expect(shared.pause == nil)
        try await s.store.publishPause(PublishedPause(reason: "connect", since: t0 + 100, probeAt: t0 + 2_000), by: "a", now: t0 + 100)
        try await s.store.publishPause(PublishedPause(reason: "timeout", since: t0 + 300, probeAt: t0 + 4_000), by: "b", now: t0 + 300)
        shared = try await s.store.sharedDispatch(now: t0 + 400, maxHoldMillis: 60_000)
        #expect(shared.pause?.since == t0 + 100)
        #expect(shared.pause?.probeAt == t0 + 4_000 && shared.pause?.reason == "timeout" && shared.pause?.setBy == "b")
        // An answer older than the last pause written says nothing about it.
        #expect(try await s.store.clearPause(answeredAt: t0 + 200) == false)
        #expect(try await s.store.clearPause(answeredAt: t0 + 301))
        #expect(try await s.store.sharedDispatch(now: t0 + 400, maxHoldMillis: 60_000).pause == nil)
        #expect(try await s.store.sharedDispatch(now: t0 + 5_000, maxHoldMillis: 60_000).holds["private"] == nil)
    }

    @Test("a clock step back moves stored future times back once, however many workers notice it", arguments: ContractSubject.all)
    func clockStep(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let id = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        _ = try await s.store.record(
            [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .reschedule(dueAt: t0 + 3_600_000, needsReconcile: false, lastError: nil))],
            worker: "w", now: t0)
        try await s.store.setHold(credentials: "private", until: t0 + 3_600_000, reason: "429", by: "w", now: t0)
        // The clock went back an hour: now reads t0 - 3_600_000 + 5.
        let now = t0 - 3_600_000 + 5
        #expect(try await s.store.shiftSchedules(backBy: 3_600_000, now: now, by: "a") == 1)
        #expect(try await s.store.shiftSchedules(backBy: 3_600_000, now: now + 20, by: "b") == 0)
        // Still an hour ahead of the (new) now, not two.
        #expect(try await s.store.command(id: id)?.dueAt == t0)
        #expect(try await s.store.sharedDispatch(now: now, maxHoldMillis: 7_200_000).holds["private"] == t0)
    }

    @Test("the census counts by state and kind; readiness sees this worker's heartbeat", arguments: ContractSubject.all)
    func monitoring(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(3, at: t0)
        _ = try await s.enqueue(Sample.sale(kind: .syncSale), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0 + 10), limit: 1, leaseMillis: 60_000) { _, _, _ in .markSending(deadline: nil) }
        let census = try await s.store.queueCensus(now: t0 + 20)
        #expect(census.count(.pending, CommandKind.asyncSale.rawValue) == 2)
        #expect(census.count(.pending, CommandKind.syncSale.rawValue) == 1)
        #expect(census.count(.inFlight, CommandKind.asyncSale.rawValue) == 1)
        #expect(census.needsReconcile == 1)
        #expect(census.oldestDueSince == t0)
        _ = ids
        #expect(try await s.store.readinessFacts(worker: "w").heartbeatAt == nil)
        try await s.store.heartbeat(worker: "w", WorkerHeartbeat(state: "running", startedAt: t0), now: t0 + 30)
        let facts = try await s.store.readinessFacts(worker: "w")
        #expect(facts.heartbeatAt == t0 + 30 && facts.heartbeatState == "running")
        #expect(facts.schemaVersion == s.store.latestSchemaVersion)
    }

    @Test("a finish that starts a follow: reads claimed when due, statuses written once and in order, a final one only from a read", arguments: ContractSubject.all)
    func following(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let id = try await s.enqueue(Sample.sale(), t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        let follow = FollowStart(
            paymentRequestId: "p-9", activity: .sale, activityId: nil, firstPollAt: t0 + 2_000, intervalMillis: 2_000,
            horizonAt: t0 + 600_000)
        _ = try await s.store.record(
            [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded, paymentRequestId: "p-9")), follow: follow)],
            worker: "w", now: t0 + 1)
        #expect(try await s.store.followSummary().following == 1)
        #expect(try await s.store.claimDueFollows(now: t0 + 1_999, limit: 5, leaseMillis: 30_000).isEmpty)
        let claimed = try #require(try await s.store.claimDueFollows(now: t0 + 2_000, limit: 5, leaseMillis: 30_000).first)
        #expect(claimed.outboxId == id && claimed.paymentRequestId == "p-9" && claimed.nextPollAt == t0 + 32_000)
        let waiting = PaymentStatusEvent(statusId: 1, statusName: "waiting", progress: 1, isFinal: false, source: .inquiry)
        let paid = PaymentStatusEvent(statusId: 4, statusName: "paid", progress: 9, isFinal: true, source: .inquiry, activityId: "act-1")
        // A callback's final status is a hint: the read is brought forward, nothing final is written.
        #expect(try await s.store.recordCallbackStatus(
            paymentRequestId: "p-9", activity: .sale, activityId: nil,
            event: PaymentStatusEvent(statusId: 4, statusName: "paid", progress: 9, isFinal: true, source: .callback),
            pollBy: t0 + 2_100, now: t0 + 2_100) == .confirming)
        var update = FollowUpdate(
            followId: claimed.id, events: [waiting, waiting, paid], activityId: "act-1", next: .pollAgain(at: t0 + 4_000, intervalMillis: 2_000),
            polled: true)
        update.claimedNextPollAt = claimed.nextPollAt
        #expect(try await s.store.recordFollow(update, now: t0 + 2_200).map(\.statusId) == [1, 4])
        #expect(try await s.store.recordFollow(update, now: t0 + 2_300).isEmpty)
        let statuses = try await s.inbox(0).filter { $0.event == "payment_status" }
        #expect(statuses.map(\.paymentStatus?.statusId) == [1, 4])
        #expect(statuses.last?.paymentStatus?.isFinal == true)
        #expect(try await s.store.followSummary().following == 0)
        #expect(try await s.store.recordCallbackStatus(
            paymentRequestId: "p-9", activity: .sale, activityId: nil, event: waiting, pollBy: t0, now: t0 + 3_000) == .duplicate)
        #expect(try await s.store.recordCallbackStatus(
            paymentRequestId: "nobody", activity: .sale, activityId: nil, event: waiting, pollBy: t0, now: t0) == .unknownPayment)
    }

    @Test(
        "a row the schema refuses is rejected (the group commit's cue to retry the others alone), nothing of its group written",
        arguments: ContractSubject.all.filter { $0.name != "memory" })  // the memory store refuses nothing
    func refusedRow(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(2, at: t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 2, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        var broken = InboxOutcome(.succeeded)
        broken.result = "{not json"
        do {
            _ = try await s.store.recordEach(
                [([CommandUpdate(commandID: ids[0], precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))], t0 + 1),
                 ([CommandUpdate(commandID: ids[1], precondition: .leasedBy("w"), next: .finish(broken))], t0 + 1)],
                worker: "w")
            Issue.record("the refused row was written")
        } catch let error as OutboxStoreError {
            #expect(error.code == .rejected, "\(error)")
        }
        // The transaction is all or nothing: neither group is written; alone, the good one is.
        #expect(try await s.inbox(0).isEmpty)
        #expect(try await s.store.recordEach(
            [([CommandUpdate(commandID: ids[0], precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))], t0 + 2)],
            worker: "w") == [true])
    }

    @Test("a callback without an activity id goes to the follow whose activity id is still unknown before a newer one's", arguments: ContractSubject.all)
    func callbackOrder(_ subject: ContractSubject) async throws {
        let s = try await subject.make()
        defer { s.close() }
        let ids = try await s.sales(2, at: t0)
        _ = try await s.store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 2, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        // The older follow's activity id is unknown; the newer one's is known.
        for (id, activityId) in [(ids[0], nil), (ids[1], "act-2")] as [(Int64, String?)] {
            _ = try await s.store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)),
                    follow: FollowStart(
                        paymentRequestId: "P-1", activity: .cancel, activityId: activityId, firstPollAt: t0 + 60_000,
                        intervalMillis: 2_000, horizonAt: t0 + 600_000))],
                worker: "w", now: t0 + 1)
        }
        let waiting = PaymentStatusEvent(statusId: 1, statusName: "waiting", progress: 1, isFinal: false, source: .callback)
        #expect(try await s.store.recordCallbackStatus(
            paymentRequestId: "p-1", activity: .cancel, activityId: nil, event: waiting, pollBy: t0 + 10, now: t0 + 10) == .recorded)
        let statuses = try await s.inbox(0).filter { $0.event == "payment_status" }
        #expect(statuses.map(\.outboxID) == [ids[0]])
    }
}
