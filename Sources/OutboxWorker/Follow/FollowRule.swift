import OutboxModel
import OutboxStore
import PaywallClient

/// Every decision about following a payment activity to its final status, as pure functions of
/// what Paywall reported and the injected clock. ``PaymentFollower`` only executes them.
///
/// Paywall's facts (API-NOTES S1, `docs/fiziksel-pos/sistem-verileri/odeme-durumu.md`): statuses
/// belong to an activity (`PaymentTypeId` 1 sale, 2 cancel); 4, 5 and 12 are final (a sale's 4
/// is paid, 5 not paid; a cancel's 4 is the cancel done; 12 rolled back); 6 means ask again; 3
/// "could not be sent" is not final. The activities list (`POST /api/payment/activities`,
/// `docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md`) holds one row per status each activity
/// went through, oldest first.
public enum FollowRule {
    /// What to follow once `command` finishes with `outcome`; `nil`: nothing.
    ///
    /// - A sale Paywall accepted (`succeeded`, also when found by reconciling or answered
    ///   "duplicate"): its sale activity.
    /// - A sale answered `Payment.Async.CloudNotSendToDevice` that names a PaymentRequestId: its
    ///   sale activity too (its rows show it if the payment turns out alive; our choice).
    /// - A cancel Paywall accepted: its cancel activity (the answer's activity id only when the
    ///   cancel was ours, not an earlier one found "already cancelled").
    /// - Rollbacks, pairing and marketplace approvals: nothing (a rollback changes the sale's or
    ///   cancel's own activity, which its command follows).
    ///
    /// `paymentRequestId` is the payment the command acted on when the outcome does not say.
    public static func start(
        kind: CommandKind?, outcome: InboxOutcome, paymentRequestId: String?, now: EpochMillis,
        policy: PaymentFollowPolicy
    ) -> FollowStart? {
        guard policy.enabled, let kind, let payment = outcome.paymentRequestId ?? paymentRequestId,
            !payment.isEmpty
        else { return nil }
        let activity: FollowedActivity
        switch kind {
        case .asyncSale, .syncSale:
            let undelivered =
                outcome.outcome == .failed && outcome.clientMessage == PhysicalError.cloudNotSendToDevice.rawValue
            guard outcome.outcome == .succeeded || undelivered else { return nil }
            activity = .sale
        case .asyncCancel, .syncCancel:
            guard outcome.outcome == .succeeded else { return nil }
            activity = .cancel
        case .syncSaleRollback, .syncCancelRollback, .asyncPairRequest, .asyncPairConfirm, .syncPairRequest,
            .marketplaceApprove:
            return nil
        }
        // The answer's activity id is this activity's only when the command itself was just
        // accepted: a reconciled sale's comes from the payment list (the payment's latest
        // activity, maybe a cancel), a cancel found "already cancelled" is an earlier cancel.
        let ownActivity = outcome.reason == nil
        let horizon = policy.horizons[activity] ?? 86_400_000
        let (horizonAt, overflow) = now.addingReportingOverflow(horizon)
        return FollowStart(
            paymentRequestId: payment, activity: activity,
            activityId: ownActivity ? outcome.paymentRequestActivityId : nil,
            firstPollAt: now + policy.firstIntervalMillis, intervalMillis: policy.firstIntervalMillis,
            horizonAt: overflow ? .max : horizonAt)
    }

    /// How far a status says the activity has come (schema 006 `progress`): 1 created, 2 on its
    /// way to the device (2, 3, 6, 7–10, and any number the table does not hold), 3 taken by the
    /// device (11), 4 final (4, 5, 12).
    public static func progress(of statusId: Int) -> Int {
        switch PaymentStatus(rawValue: statusId) {
        case .created: 1
        case .takenByDevice: 3
        case .successful, .failed, .rolledBack: 4
        case .sentToDevice, .couldNotSendToDevice, .unknown, .notificationNotSentFirebase,
            .notificationNotSentSocket, .notificationSentFirebase, .notificationSentSocket, nil:
            2
        }
    }

    /// The inbox event for a status Paywall reported.
    public static func event(
        statusId: Int, source: StatusSource, activityId: String?, message: String? = nil, result: String? = nil
    ) -> PaymentStatusEvent {
        let status = PaymentStatus(rawValue: statusId)
        return PaymentStatusEvent(
            statusId: statusId, statusName: status?.name ?? "Undocumented", progress: progress(of: statusId),
            isFinal: status?.isFinal ?? false, source: source, activityId: activityId, message: message,
            result: result)
    }

    /// The horizon's row: no status id, reason `unresolved`.
    public static func unresolvedEvent(_ follow: PaymentFollow, now: EpochMillis) -> PaymentStatusEvent {
        PaymentStatusEvent(
            statusId: nil, statusName: nil, progress: follow.progress, isFinal: false, source: .horizon,
            activityId: follow.activityId,
            message: "no final status within the follow horizon (\(follow.polls) reads since \(isoTime(follow.startedAt))); "
                + "an operator should look")
    }

    /// The rows of `follow`'s activity in a page: those of its activity id when known; else
    /// those of the latest activity of its type, whose id it then learns. Rows of an unknown
    /// activity id when one is known: none (ask again).
    public static func rows(of follow: PaymentFollow, in page: PaymentActivityPage)
        -> (rows: [PaymentActivityItem], activityId: String?)
    {
        let ofType = page.items.filter { $0.paymentTypeId == follow.activity.paymentTypeId }
        if let known = follow.activityId?.lowercased() {
            return (ofType.filter { $0.id?.lowercased() == known }, nil)
        }
        // Rows without an id cannot be told apart (two cancels' statuses could mix): none.
        guard let latest = ofType.last?.id?.lowercased() else { return ([], nil) }
        return (ofType.filter { $0.id?.lowercased() == latest }, ofType.last?.id)
    }

    /// After a good activities read at `now`: the statuses to tell (oldest first; the store
    /// skips what it has), and the next read with a doubled step, or the horizon's end.
    public static func afterRead(
        _ follow: PaymentFollow, page: PaymentActivityPage, now: EpochMillis, policy: PaymentFollowPolicy
    ) -> FollowUpdate {
        let (rows, learned) = rows(of: follow, in: page)
        let activityId = follow.activityId ?? learned
        let events = rows.compactMap { row -> PaymentStatusEvent? in
            guard let statusId = row.statusId else { return nil }
            return event(
                statusId: statusId, source: .inquiry, activityId: row.id ?? activityId,
                result: row.date.map { JSONValue.object([.init("Date", .string($0))]).serialized() })
        }
        return next(follow, events: events, activityId: learned, now: now, policy: policy, polled: true, error: nil)
    }

    /// After a read that did not answer usefully. A payment Paywall says it does not know, or an
    /// answer it refused, ends following at the horizon like a read without a final status; a
    /// read that got no answer (offline, Retry-After, Paywall's own errors) never does: it keeps
    /// asking at the capped step until Paywall answers (hours offline do not turn a payment
    /// unresolved). `notBefore` is a Retry-After hold's end.
    public static func afterFailure(
        _ follow: PaymentFollow, outcome: PaywallOutcome, notBefore: EpochMillis?, now: EpochMillis,
        policy: PaymentFollowPolicy
    ) -> FollowUpdate {
        let answered: Bool
        switch outcome {
        case .rejected, .invalid, .succeeded, .alreadyDone: answered = true
        case .transient, .outcomeUnknown, .unavailable, .credentialsInDoubt: answered = false
        }
        let error = "activities read: \(outcome)"
        guard answered else {
            let interval = policy.nextInterval(after: follow.intervalMillis)
            return FollowUpdate(
                followId: follow.id, events: [],
                next: .pollAgain(at: max(now + interval, notBefore ?? now), intervalMillis: interval), polled: true,
                lastError: error)
        }
        return next(follow, events: [], activityId: nil, now: now, policy: policy, polled: true, error: error)
    }

    /// A read that was not made (a Retry-After hold or a pause): the next one at `at`, the step
    /// kept, nothing counted.
    public static func deferred(_ follow: PaymentFollow, until at: EpochMillis, why: String) -> FollowUpdate {
        FollowUpdate(
            followId: follow.id, events: [], next: .pollAgain(at: at, intervalMillis: follow.intervalMillis),
            polled: false, lastError: why)
    }

    static func next(
        _ follow: PaymentFollow, events: [PaymentStatusEvent], activityId: String?, now: EpochMillis,
        policy: PaymentFollowPolicy, polled: Bool, error: String?
    ) -> FollowUpdate {
        if events.contains(where: \.isFinal) || now < follow.horizonAt {
            let interval = policy.nextInterval(after: follow.intervalMillis)
            return FollowUpdate(
                followId: follow.id, events: events, activityId: activityId,
                next: .pollAgain(at: now + interval, intervalMillis: interval), polled: polled, lastError: error)
        }
        return FollowUpdate(
            followId: follow.id, events: events + [unresolvedEvent(follow, now: now)], activityId: activityId,
            next: .unresolved, polled: polled, lastError: error)
    }
}
