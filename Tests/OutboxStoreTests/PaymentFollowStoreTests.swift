import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

/// Schema 006: a followed activity's `payment_status` inbox rows stay true whatever order reads
/// and callbacks arrive in: one row per distinct status, none behind the progress written, one
/// final row, nothing after it.
@Suite("Store: following payments to their final status")
struct PaymentFollowStoreTests {
    struct Fixture {
        let store: OutboxStore
        let saleID: Int64
        let paymentRequestId: String
        let commandKey: String
    }

    /// A sale finished `succeeded` at t=1,000 with a follow of its sale activity: first read due
    /// at 3,000, horizon at 100,000.
    func acceptedSale(activityId: String? = nil) throws -> Fixture {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let id = try store.enqueue(sale).id
        _ = try store.claim(owner: "w", now: 100, limit: 1, leaseMillis: 60_000)
        let prid = Sample.guid()
        let applied = try store.record(
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"), paywallPaymentRequestId: prid, acceptedAt: 900,
                next: .finish(InboxOutcome(.succeeded, paymentRequestId: prid, paymentStatusId: 2)),
                follow: FollowStart(
                    paymentRequestId: prid, activity: .sale, activityId: activityId, firstPollAt: 3_000,
                    intervalMillis: 2_000, horizonAt: 100_000))],
            worker: "w", now: 1_000)
        #expect(applied)
        return Fixture(store: store, saleID: id, paymentRequestId: prid, commandKey: sale.commandKey)
    }

    func event(_ status: Int, progress: Int, final: Bool = false, source: StatusSource = .inquiry) -> PaymentStatusEvent {
        PaymentStatusEvent(statusId: status, statusName: "S\(status)", progress: progress, isFinal: final, source: source)
    }

    func statuses(_ store: OutboxStore) throws -> [Int?] {
        try store.inbox(after: 0).filter { $0.event == "payment_status" }.map { $0.paymentStatus?.statusId }
    }

    @Test("the outcome and the follow are written together; a read is claimed only when due, and the claim moves it ahead")
    func startAndClaim() throws {
        let f = try acceptedSale()
        #expect(try f.store.claimDueFollows(now: 2_999, limit: 10, leaseMillis: 60_000).isEmpty)
        let claimed = try f.store.claimDueFollows(now: 3_000, limit: 10, leaseMillis: 60_000)
        #expect(claimed.count == 1)
        let follow = try #require(claimed.first)
        #expect(follow.outboxId == f.saleID && follow.paymentRequestId == f.paymentRequestId)
        #expect(follow.commandKey == f.commandKey && follow.activity == .sale && follow.nextPollAt == 63_000)
        // Another worker looking at the same moment finds nothing: the claim moved it ahead.
        #expect(try f.store.claimDueFollows(now: 3_000, limit: 10, leaseMillis: 60_000).isEmpty)
        // A worker that died holding it only delays it.
        #expect(try f.store.claimDueFollows(now: 63_000, limit: 10, leaseMillis: 60_000).count == 1)
    }

    @Test("a read writes each new status once, in order; the same read again writes nothing; a final status ends following")
    func readsInOrder() throws {
        let f = try acceptedSale()
        let follow = try #require(try f.store.claimDueFollows(now: 3_000, limit: 1, leaseMillis: 60_000).first)
        let first = FollowUpdate(
            followId: follow.id, events: [event(1, progress: 1), event(2, progress: 2)],
            next: .pollAgain(at: 7_000, intervalMillis: 4_000), polled: true)
        #expect(try f.store.recordFollow(first, now: 3_100).map(\.statusId) == [1, 2])
        #expect(try f.store.recordFollow(first, now: 3_200).isEmpty)
        let again = try #require(try f.store.claimDueFollows(now: 7_000, limit: 1, leaseMillis: 60_000).first)
        #expect(again.lastStatusId == 2 && again.progress == 2 && again.polls == 2 && again.intervalMillis == 4_000)
        let last = FollowUpdate(
            followId: follow.id,
            events: [event(1, progress: 1), event(2, progress: 2), event(11, progress: 3), event(4, progress: 4, final: true)],
            next: .pollAgain(at: 15_000, intervalMillis: 8_000), polled: true)
        #expect(try f.store.recordFollow(last, now: 7_100).map(\.statusId) == [11, 4])
        #expect(try statuses(f.store) == [1, 2, 11, 4])
        let rows = try f.store.inbox(after: 0).filter { $0.event == "payment_status" }
        #expect(rows.map { $0.paymentStatus?.isFinal } == [false, false, false, true])
        #expect(rows.allSatisfy { $0.commandKey == f.commandKey && $0.paymentStatus?.activity == .sale })
        #expect(rows.allSatisfy { $0.paymentStatus?.paymentRequestId == f.paymentRequestId })
        #expect(try f.store.claimDueFollows(now: 1_000_000, limit: 1, leaseMillis: 60_000).isEmpty)
        #expect(try f.store.follows(outboxId: f.saleID).first?.state == .final)
    }

    @Test("callbacks: duplicates and late, reordered deliveries write nothing; a final status is confirmed by a read, never written from the callback")
    func callbacksOutOfOrder() throws {
        let f = try acceptedSale()
        func deliver(_ status: Int, progress: Int, final: Bool = false, pollBy: EpochMillis = 2_000) throws -> CallbackRecording {
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId.uppercased(), activity: .sale, activityId: nil,
                event: event(status, progress: progress, final: final, source: .callback), pollBy: pollBy, now: 1_500)
        }
        #expect(try deliver(11, progress: 3) == .recorded)
        #expect(try deliver(11, progress: 3) == .duplicate)
        #expect(try deliver(2, progress: 2) == .duplicate)  // behind: the device already has it
        #expect(try f.store.follows(outboxId: f.saleID).first?.nextPollAt == 2_000)  // brought forward
        // A final status: its Hash does not cover the status, so it is only a reason to read now.
        #expect(try deliver(4, progress: 4, final: true, pollBy: 1_600) == .confirming)
        #expect(try statuses(f.store) == [11])
        let follow = try #require(try f.store.claimDueFollows(now: 1_600, limit: 1, leaseMillis: 60_000).first)
        let read = FollowUpdate(
            followId: follow.id, events: [event(2, progress: 2), event(11, progress: 3), event(5, progress: 4, final: true)],
            next: .pollAgain(at: 9_000, intervalMillis: 4_000), polled: true)
        #expect(try f.store.recordFollow(read, now: 1_700).map(\.statusId) == [5])  // the read's truth: declined
        #expect(try deliver(4, progress: 4, final: true) == .duplicate)
        #expect(try deliver(10, progress: 2) == .duplicate)
        #expect(try statuses(f.store) == [11, 5])
        let rows = try f.store.inbox(after: 0).filter { $0.event == "payment_status" }
        #expect(rows.map { $0.paymentStatus?.source } == [.callback, .inquiry])
        // The cancel activity of the same payment is not followed: unknown to us.
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId, activity: .cancel, activityId: nil,
                event: event(4, progress: 4, final: true, source: .callback), pollBy: 0, now: 1_600) == .unknownPayment)
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: Sample.guid(), activity: .sale, activityId: nil,
                event: event(4, progress: 4, final: true, source: .callback), pollBy: 0, now: 1_600) == .unknownPayment)
    }

    @Test("the horizon writes one unresolved row; a verified final status arriving later is still written and ends it")
    func horizonThenFinal() throws {
        let f = try acceptedSale()
        let follow = try #require(try f.store.claimDueFollows(now: 3_000, limit: 1, leaseMillis: 60_000).first)
        let unresolved = PaymentStatusEvent(
            statusId: nil, statusName: nil, progress: 0, isFinal: false, source: .horizon, message: "no final status")
        let update = FollowUpdate(followId: follow.id, events: [event(9, progress: 2), unresolved], next: .unresolved, polled: true)
        #expect(try f.store.recordFollow(update, now: 100_001).count == 2)
        #expect(try f.store.recordFollow(update, now: 100_002).isEmpty)
        #expect(try f.store.follows(outboxId: f.saleID).first?.state == .unresolved)
        #expect(try f.store.claimDueFollows(now: 10_000_000, limit: 1, leaseMillis: 60_000).isEmpty)
        let rows = try f.store.inbox(after: 0).filter { $0.event == "payment_status" }
        #expect(rows.last?.paymentStatus?.reason == .unresolved && rows.last?.paymentStatus?.statusId == nil)
        // A final status arriving by callback later: followed again, at once; the read confirms it.
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId, activity: .sale, activityId: nil,
                event: event(4, progress: 4, final: true, source: .callback), pollBy: 200_000, now: 200_000) == .confirming)
        let again = try #require(try f.store.claimDueFollows(now: 200_000, limit: 1, leaseMillis: 60_000).first)
        try f.store.recordFollow(
            FollowUpdate(followId: again.id, events: [event(9, progress: 2), event(4, progress: 4, final: true)],
                         next: .unresolved, polled: true), now: 200_100)
        #expect(try statuses(f.store) == [9, nil, 4])
        #expect(try f.store.follows(outboxId: f.saleID).first?.state == .final)
        #expect(try f.store.followSummary().following == 0)
    }

    @Test("an activity id, once known, tells a callback for another activity of the same type apart")
    func activityIdMatters() throws {
        let known = Sample.guid()
        let f = try acceptedSale(activityId: known)
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId, activity: .sale, activityId: Sample.guid(),
                event: event(4, progress: 4, final: true, source: .callback), pollBy: 0, now: 2_000) == .unknownPayment)
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId, activity: .sale, activityId: known.uppercased(),
                event: event(11, progress: 3, source: .callback), pollBy: 0, now: 2_000) == .recorded)
    }

    @Test("producers cannot write payment_follow")
    func producersRefused() throws {
        let database = try TestDatabase()
        _ = try database.open()
        let queue = try DatabaseQueue(path: database.path)
        do {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO payment_follow (outbox_id, generation, payment_request_id, activity_type, started_at,
                                                    horizon_at, next_poll_at, interval_ms)
                        VALUES (1, 1, 'x', 1, 0, 0, 0, 0)
                        """)
            }
            Issue.record("a producer wrote payment_follow")
        } catch {
            // A producer's connection has no outbox_product_connection(): the guard fails with
            // "no such function" (schema 003); a connection that has it gets the refusal text.
            let text = "\(error)"
            #expect(text.contains("no such function: outbox_product_connection") || text.contains("only the worker writes payment_follow"))
            #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM payment_follow") } == 0)
        }
    }

    @Test("a backward clock step moves a followed payment's next read and horizon back with it")
    func clockStepBack() throws {
        let f = try acceptedSale()
        // The clock stepped back an hour at what it now calls 1,000: the read due at 3,000 by the
        // old clock is due at 1,000 (never before now), the horizon an hour earlier.
        try f.store.shiftSchedules(backBy: 3_600_000, now: 1_000)
        let follow = try #require(try f.store.follows(outboxId: f.saleID).first)
        #expect(follow.nextPollAt == 1_000)
        #expect(follow.horizonAt == 100_000 - 3_600_000)
        #expect(try f.store.claimDueFollows(now: 1_000, limit: 1, leaseMillis: 60_000).count == 1)
    }

    @Test("a final callback that arrives while a read is out is not lost: the read's answer keeps the hint and does not end at the horizon")
    func hintWhileReading() throws {
        let f = try acceptedSale()
        let claimed = try #require(try f.store.claimDueFollows(now: 200_000, limit: 1, leaseMillis: 60_000).first)
        #expect(
            try f.store.recordCallbackStatus(
                paymentRequestId: f.paymentRequestId, activity: .sale, activityId: nil,
                event: event(4, progress: 4, final: true, source: .callback), pollBy: 200_050, now: 200_050) == .confirming)
        // The read left before the payment ended: no final status, and it is past the horizon.
        let unresolved = PaymentStatusEvent(statusId: nil, statusName: nil, progress: 3, isFinal: false, source: .horizon)
        var update = FollowUpdate(
            followId: claimed.id, events: [event(11, progress: 3), unresolved], next: .unresolved, polled: true)
        update.claimedNextPollAt = claimed.nextPollAt
        try f.store.recordFollow(update, now: 200_100)
        let follow = try #require(try f.store.follows(outboxId: f.saleID).first)
        #expect(follow.state == .following && follow.nextPollAt == 200_050)
        #expect(try statuses(f.store).contains(nil) == false)
    }

    @Test("an operator's retry of a command whose activity is followed does not start a second follow of it")
    func retryKeepsOneFollow() throws {
        let f = try acceptedSale()
        // The sale ended failed (undelivered) but followed; an operator retries it; the resend is
        // found by its MerchantUniqueCode and finishes again with the same PaymentRequestId.
        try f.store.write { try $0.execute(sql: "UPDATE outbox SET state = 'failed' WHERE id = ?", arguments: [f.saleID]) }
        _ = try f.store.retry(id: f.saleID, actor: "test", now: 5_000, deadline: .at(900_000))
        _ = try f.store.claim(owner: "w", now: 5_000, limit: 1, leaseMillis: 60_000)
        try f.store.record(
            [CommandUpdate(
                commandID: f.saleID, precondition: .leasedBy("w"), paywallPaymentRequestId: f.paymentRequestId,
                next: .finish(InboxOutcome(.succeeded, reason: .reconciled, paymentRequestId: f.paymentRequestId)),
                follow: FollowStart(
                    paymentRequestId: f.paymentRequestId, activity: .sale, activityId: nil, firstPollAt: 7_000,
                    intervalMillis: 2_000, horizonAt: 100_000))],
            worker: "w", now: 5_100)
        #expect(try f.store.follows(outboxId: f.saleID).count == 1)
    }

    @Test("a callback's activity id is never stored: a made-up one cannot blind the follow's reads")
    func callbackActivityIdNotStored() throws {
        let f = try acceptedSale()
        _ = try f.store.recordCallbackStatus(
            paymentRequestId: f.paymentRequestId, activity: .sale, activityId: Sample.guid(),
            event: event(2, progress: 2, source: .callback), pollBy: 0, now: 1_100)
        #expect(try f.store.follows(outboxId: f.saleID).first?.activityId == nil)
    }

    @Test("a read that would learn an activity id another follow of the payment holds (an earlier cancel) writes nothing")
    func earlierCancelIsNotThisOne() throws {
        let f = try acceptedSale(activityId: "sale-activity")
        // Pretend the sale follow is another cancel's, and a new follow of the same type learns it.
        let store = f.store
        let cancel = Sample.cancel(saleKey: f.commandKey)
        let cancelID = try store.enqueue(cancel).id
        _ = try store.claim(owner: "w", now: 2_000, limit: 5, leaseMillis: 60_000)
        try store.record(
            [CommandUpdate(
                commandID: cancelID, precondition: .leasedBy("w"),
                next: .finish(InboxOutcome(.succeeded, paymentRequestId: f.paymentRequestId)),
                follow: FollowStart(
                    paymentRequestId: f.paymentRequestId, activity: .sale, activityId: nil, firstPollAt: 2_000,
                    intervalMillis: 2_000, horizonAt: 100_000))],
            worker: "w", now: 2_000)
        let follow = try #require(try store.follows(outboxId: cancelID).first)
        let update = FollowUpdate(
            followId: follow.id, events: [event(5, progress: 4, final: true)], activityId: "sale-activity",
            next: .pollAgain(at: 6_000, intervalMillis: 4_000), polled: true)
        #expect(try store.recordFollow(update, now: 2_100).isEmpty)
        #expect(try store.follows(outboxId: cancelID).first?.activityId == nil)
    }
}
