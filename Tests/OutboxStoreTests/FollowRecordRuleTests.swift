import OutboxModel
import Testing

@testable import OutboxStore

/// The rule every store engine applies after writing a read's statuses (FollowRecordRule).
@Suite("Recording a payment read: state, next read and interval")
struct FollowRecordRuleTests {
    static let follow = PaymentFollow(
        id: 1, outboxId: 1, generation: 1, commandKey: "k", kindName: "async_sale", paymentRequestId: "p",
        activity: .sale, startedAt: 0, horizonAt: 100_000, nextPollAt: 5_000, intervalMillis: 2_000)
    static let pollAgain = FollowUpdate.Next.pollAgain(at: 9_000, intervalMillis: 4_000)

    @Test(
        "after a read",
        arguments: [
            // (next, state after statuses, hinted, learned elsewhere) → (state, next read, interval)
            (pollAgain, FollowState.following, false, false, FollowState.following, 9_000, 4_000),
            (.unresolved, .following, false, false, .unresolved, 5_000, 2_000),  // the horizon ends it
            (.unresolved, .following, true, false, .following, 5_000, 2_000),  // a callback came: not unresolved
            (pollAgain, .following, true, false, .following, 5_000, 4_000),  // the callback's earlier read kept
            (.unresolved, .following, false, true, .following, 7_000, 2_000),  // someone else's id: ask again
            (pollAgain, .final, false, false, .final, 9_000, 4_000),  // final stays final
        ] as [(FollowUpdate.Next, FollowState, Bool, Bool, FollowState, EpochMillis, Int64)])
    func next(
        _ next: FollowUpdate.Next, _ state: FollowState, _ hinted: Bool, _ learnedElsewhere: Bool,
        _ expectedState: FollowState, _ expectedPoll: EpochMillis, _ expectedInterval: Int64
    ) {
        let update = FollowUpdate(followId: 1, events: [], next: next, polled: true)
        let result = FollowRecordRule.next(
            update, follow: Self.follow, state: state, hinted: hinted, learnedElsewhere: learnedElsewhere, now: 5_000)
        #expect(result.state == expectedState)
        #expect(result.nextPollAt == expectedPoll)
        #expect(result.intervalMillis == expectedInterval)
    }

    @Test("a read is hinted when a callback moved the next read before where the claim left it; it then writes no horizon row")
    func hinted() {
        let horizon = PaymentStatusEvent(statusId: nil, statusName: nil, progress: 0, isFinal: false, source: .horizon)
        let waiting = PaymentStatusEvent(statusId: 1, statusName: "waiting", progress: 1, isFinal: false, source: .inquiry)
        var update = FollowUpdate(followId: 1, events: [waiting, horizon], next: .unresolved, polled: true)
        update.claimedNextPollAt = 5_000
        #expect(!FollowRecordRule.hinted(update, follow: Self.follow))
        #expect(FollowRecordRule.events(update, hinted: false) == [waiting, horizon])
        update.claimedNextPollAt = 35_000
        #expect(FollowRecordRule.hinted(update, follow: Self.follow))
        #expect(FollowRecordRule.events(update, hinted: true) == [waiting])
        update.claimedNextPollAt = nil
        #expect(!FollowRecordRule.hinted(update, follow: Self.follow))
    }
}
