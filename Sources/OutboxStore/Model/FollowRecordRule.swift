import OutboxModel

/// What recording one activities read leaves of a followed activity: the one rule every store
/// engine applies (SQLite, memory, PostgreSQL), around its own writes of the statuses.
public enum FollowRecordRule {
    /// Whether a callback brought the read forward while this read was out: the row's next read
    /// is earlier than the claim left it (``FollowUpdate/claimedNextPollAt``).
    public static func hinted(_ update: FollowUpdate, follow: PaymentFollow) -> Bool {
        update.claimedNextPollAt.map { follow.nextPollAt < $0 } ?? false
    }

    /// The statuses to write: a hinted read may predate what the callback reported, so it does
    /// not end at the horizon (no unresolved row).
    public static func events(_ update: FollowUpdate, hinted: Bool) -> [PaymentStatusEvent] {
        hinted ? update.events.filter { $0.source != .horizon } : update.events
    }

    /// The follow's state, next read (epoch ms) and interval (ms) after the read.
    /// - `state`: the follow's state after its statuses were written (final if one was).
    /// - `learnedElsewhere`: the activity id the read learned belongs to another follow of the
    ///   payment (an earlier cancel): nothing of it was written; ask again in one interval.
    public static func next(
        _ update: FollowUpdate, follow: PaymentFollow, state: FollowState, hinted: Bool, learnedElsewhere: Bool,
        now: EpochMillis
    ) -> (state: FollowState, nextPollAt: EpochMillis, intervalMillis: Int64) {
        var state = state
        var (nextPollAt, interval): (EpochMillis, Int64) =
            switch update.next {
            case .pollAgain(let at, let intervalMillis): (at, intervalMillis)
            case .unresolved: (follow.nextPollAt, follow.intervalMillis)
            }
        if hinted { nextPollAt = min(nextPollAt, follow.nextPollAt) }
        if state == .following, case .unresolved = update.next, !hinted, !learnedElsewhere { state = .unresolved }
        if learnedElsewhere, case .unresolved = update.next { nextPollAt = now + interval }
        return (state, nextPollAt, interval)
    }
}
