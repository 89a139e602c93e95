import OutboxModel
import OutboxStore
import PaywallClient
import Testing

@testable import OutboxWorker

/// Following a payment activity to its final status, rule by rule (S1: 4, 5, 12 final; 6 ask
/// again; 3 not final; statuses belong to an activity).
@Suite("Payment follow rules")
struct FollowRuleTests {
    let policy = PaymentFollowPolicy()
    let prid = "11111111-2222-4333-8444-555555555555"

    func follow(
        _ activity: FollowedActivity = .sale, activityId: String? = nil, interval: Int64 = 2_000,
        horizonAt: EpochMillis = 1_000_000, progress: Int = 0
    ) -> PaymentFollow {
        PaymentFollow(
            id: 7, outboxId: 3, generation: 1, commandKey: "k", kindName: "async_sale", paymentRequestId: prid,
            activity: activity, activityId: activityId, startedAt: 0, horizonAt: horizonAt, nextPollAt: 0,
            intervalMillis: interval, progress: progress)
    }

    func page(_ rows: [(id: String, type: Int, status: Int)]) throws -> PaymentActivityPage {
        let items = rows.map { row in
            #"{"Id":"\#(row.id)","PaymentTypeId":\#(row.type),"PaymentStatusId":\#(row.status),"Date":"2026-11-30T10:00:00"}"#
        }
        let json = try JSONValue.parse(#"{"Items":[\#(items.joined(separator: ","))],"Pagination":{"CurrentPage":0}}"#)
        return try #require(PaymentActivityPage(json))
    }

    @Test("which finished commands start a follow, and of which activity")
    func starts() {
        let accepted = InboxOutcome(.succeeded, paymentRequestId: prid, paymentRequestActivityId: "a1")
        let cases: [(CommandKind, InboxOutcome, FollowedActivity?)] = [
            (.asyncSale, accepted, .sale),
            (.syncSale, InboxOutcome(.succeeded, reason: .reconciled, paymentRequestId: prid), .sale),
            (.syncSale, InboxOutcome(.succeeded, reason: .alreadyDone("duplicate"), paymentRequestId: prid), .sale),
            (.asyncSale, InboxOutcome(.failed, reason: .rejected, clientMessage: "Payment.Async.CloudNotSendToDevice",
                                      paymentRequestId: prid), .sale),
            (.asyncSale, InboxOutcome(.failed, reason: .rejected, clientMessage: "Terminal.NotFound", paymentRequestId: prid), nil),
            (.asyncSale, InboxOutcome(.expired, reason: .deadlinePassed), nil),
            (.asyncCancel, accepted, .cancel),
            (.syncCancel, InboxOutcome(.succeeded, reason: .alreadyDone("already_cancelled"), paymentRequestId: prid), .cancel),
            (.syncCancel, InboxOutcome(.failed, reason: .rejected, paymentRequestId: prid), nil),
            (.syncSaleRollback, accepted, nil),
            (.syncCancelRollback, accepted, nil),
            (.asyncPairRequest, accepted, nil),
            (.marketplaceApprove, accepted, nil),
        ]
        for (kind, outcome, expected) in cases {
            let start = FollowRule.start(kind: kind, outcome: outcome, paymentRequestId: nil, now: 10_000, policy: policy)
            #expect(start?.activity == expected, "\(kind) \(outcome.outcome) \(outcome.reason?.rawValue ?? "")")
            if let start {
                #expect(start.firstPollAt == 12_000 && start.intervalMillis == 2_000 && start.horizonAt == 86_410_000)
            }
        }
        // A cancel found "already cancelled" is someone's earlier cancel: its activity id is learned
        // from the activities list, not taken from this answer.
        let earlier = InboxOutcome(
            .succeeded, reason: .alreadyDone("already_cancelled"), paymentRequestId: prid, paymentRequestActivityId: "x")
        #expect(FollowRule.start(kind: .asyncCancel, outcome: earlier, paymentRequestId: nil, now: 0, policy: policy)?.activityId == nil)
        #expect(FollowRule.start(kind: .asyncCancel, outcome: accepted, paymentRequestId: nil, now: 0, policy: policy)?.activityId == "a1")
        #expect(FollowRule.start(kind: .asyncSale, outcome: accepted, paymentRequestId: nil, now: 0, policy: policy)?.activityId == "a1")
        // A reconciled sale's activity id comes from the payment list: the payment's latest
        // activity, maybe a cancel. Not taken: the first read learns the sale's.
        let reconciled = InboxOutcome(.succeeded, reason: .reconciled, paymentRequestId: prid, paymentRequestActivityId: "c9")
        #expect(FollowRule.start(kind: .syncSale, outcome: reconciled, paymentRequestId: nil, now: 0, policy: policy)?.activityId == nil)
        // No payment id: nothing to follow. Switched off: nothing.
        #expect(FollowRule.start(kind: .asyncSale, outcome: InboxOutcome(.succeeded), paymentRequestId: nil, now: 0, policy: policy) == nil)
        #expect(FollowRule.start(kind: .asyncCancel, outcome: InboxOutcome(.succeeded), paymentRequestId: prid, now: 0, policy: policy)?.paymentRequestId == prid)
        #expect(FollowRule.start(kind: .asyncSale, outcome: accepted, paymentRequestId: nil, now: 0, policy: PaymentFollowPolicy(enabled: false)) == nil)
    }

    @Test("progress: created, on its way, on the device, final (S1)")
    func progressTable() {
        let table: [Int: Int] = [1: 1, 2: 2, 3: 2, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 3, 4: 4, 5: 4, 12: 4, 99: 2]
        for (status, progress) in table { #expect(FollowRule.progress(of: status) == progress, "status \(status)") }
        #expect(FollowRule.event(statusId: 4, source: .inquiry, activityId: nil).isFinal)
        #expect(!FollowRule.event(statusId: 3, source: .inquiry, activityId: nil).isFinal)
        #expect(!FollowRule.event(statusId: 6, source: .inquiry, activityId: nil).isFinal)
        #expect(FollowRule.event(statusId: 99, source: .inquiry, activityId: nil).statusName == "Undocumented")
    }

    @Test("a read: the activity's own rows, in order; the backoff doubles to its cap")
    func readDoubles() throws {
        let listed = try page([("s", 1, 1), ("s", 1, 2), ("c", 2, 1), ("s", 1, 11)])
        let update = FollowRule.afterRead(follow(), page: listed, now: 5_000, policy: policy)
        #expect(update.events.map(\.statusId) == [1, 2, 11])
        #expect(update.activityId == "s")
        #expect(update.next == .pollAgain(at: 9_000, intervalMillis: 4_000))
        let capped = FollowRule.afterRead(follow(interval: 200_000), page: listed, now: 5_000, policy: policy)
        #expect(capped.next == .pollAgain(at: 305_000, intervalMillis: 300_000))
        let cancel = FollowRule.afterRead(follow(.cancel), page: listed, now: 5_000, policy: policy)
        #expect(cancel.events.map(\.statusId) == [1] && cancel.activityId == "c")
    }

    @Test("a known activity id picks its rows; another activity of the same type is not this one")
    func knownActivity() throws {
        let listed = try page([("c1", 2, 4), ("c1", 2, 12), ("c2", 2, 2)])
        let first = FollowRule.afterRead(follow(.cancel, activityId: "C1"), page: listed, now: 0, policy: policy)
        #expect(first.events.map(\.statusId) == [4, 12] && first.activityId == nil)
        let unknown = FollowRule.afterRead(follow(.cancel), page: listed, now: 0, policy: policy)
        #expect(unknown.events.map(\.statusId) == [2] && unknown.activityId == "c2")
        let missing = FollowRule.afterRead(follow(.cancel, activityId: "zz"), page: listed, now: 0, policy: policy)
        #expect(missing.events.isEmpty)
        // Rows without an id cannot be told apart: none are taken.
        let json = try JSONValue.parse(#"{"Items":[{"PaymentTypeId":2,"PaymentStatusId":5},{"PaymentTypeId":2,"PaymentStatusId":2}]}"#)
        let anonymous = FollowRule.afterRead(follow(.cancel), page: try #require(PaymentActivityPage(json)), now: 0, policy: policy)
        #expect(anonymous.events.isEmpty)
    }

    @Test("the horizon: a read without a final status after it ends following with an unresolved row")
    func horizon() throws {
        let open = try page([("s", 1, 9)])
        let before = FollowRule.afterRead(follow(horizonAt: 10_000), page: open, now: 9_999, policy: policy)
        #expect(before.next == .pollAgain(at: 13_999, intervalMillis: 4_000))
        let after = FollowRule.afterRead(follow(horizonAt: 10_000), page: open, now: 10_000, policy: policy)
        #expect(after.next == .unresolved)
        #expect(after.events.map(\.statusId) == [9, nil])
        #expect(after.events.last?.source == .horizon)
        // A final status read past the horizon is simply final.
        let paid = FollowRule.afterRead(follow(horizonAt: 10_000), page: try page([("s", 1, 4)]), now: 20_000, policy: policy)
        #expect(paid.events.map(\.statusId) == [4] && paid.events.last?.isFinal == true)
    }

    @Test("a read without an answer never ends following, even past the horizon; a refusal does at the horizon")
    func failures() {
        let offline = PaywallOutcome.unavailable(PaywallProblem(code: .transport))
        let late = FollowRule.afterFailure(follow(horizonAt: 10_000), outcome: offline, notBefore: nil, now: 50_000, policy: policy)
        #expect(late.next == .pollAgain(at: 54_000, intervalMillis: 4_000) && late.events.isEmpty && late.polled)
        let held = FollowRule.afterFailure(
            follow(), outcome: .transient(retryAfter: .seconds(30), PaywallProblem(code: .retryLater)), notBefore: 35_000,
            now: 5_000, policy: policy)
        #expect(held.next == .pollAgain(at: 35_000, intervalMillis: 4_000))
        let deferred = FollowRule.deferred(follow(interval: 8_000), until: 40_000, why: "hold")
        #expect(deferred.next == .pollAgain(at: 40_000, intervalMillis: 8_000) && !deferred.polled)
    }
}
