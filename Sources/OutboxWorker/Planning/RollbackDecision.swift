import OutboxModel
import OutboxStore
import PaywallClient

/// Every decision about a rollback once its window has opened, as pure functions of what
/// Paywall reported, the injected clock and the command. The processor only executes them.
///
/// Paywall's rules (both rollback pages, `docs/fiziksel-pos/6.-odeme/sync/2.-satis-geri-cek.md`
/// and `.../4.-iptal-geri-cek.md`): a revoke is refused in the first 5 s after the command, and
/// only while the device has not taken the command. The status that tells is the one of the
/// activity being revoked (the sale for a sale rollback, the cancel for a cancel rollback),
/// numbered as in S1 (``PaymentStatus``).
public enum RollbackDecision: Sendable, Hashable {
    /// The activity is not taken (1–3, 7–10): send the rollback now.
    case send
    /// The activity is already rolled back (12): the rollback is done.
    case alreadyRolledBack(statusId: Int)
    /// Do not send (again): it cannot work. `why` names the status (and Paywall's words when it
    /// refused).
    case notRevocable(why: String, statusId: Int?)
    /// Not enough is known (status 6, no status, a failed inquiry): ask again after a backoff,
    /// within the deadline. Never send blind.
    case askAgain(why: String)
    /// Paywall refused "too early" while the activity is still not taken: send once more at `at`.
    case retry(at: EpochMillis, why: String)

    /// How long after the window (by our clock) a `NotConvenientStatusForThisOperation` refusal
    /// of a still-not-taken activity is read as "too early" rather than final (ms). Our choice:
    /// a few seconds covers the gap between Paywall's acceptance and ours, and clock skew.
    public static let tooEarlyGraceMillis: Int64 = 3_000

    /// The activity a rollback revokes: the sale, or the cancel.
    public static func activity(of kind: CommandKind) -> PaymentType {
        kind == .syncCancelRollback ? .cancel : .sale
    }

    /// Where the status of `activity` comes from: the inquiry, when its latest activity is that
    /// one (`PaymentTypeId`; an inquiry without one counts as the sale's); otherwise the
    /// activities list is needed (`activities == nil`) or read (latest row of that type).
    public enum StatusSource: Sendable, Hashable {
        /// The status id (nil: Paywall gave none).
        case status(Int?)
        /// Read the activities list first.
        case needActivities
    }

    /// The status of `activity`, from an inquiry and, when needed, the activities list.
    public static func status(
        of activity: PaymentType, inquiry: PaymentInfo?, activities: PaymentActivityPage?
    ) -> StatusSource {
        if let inquiry, (inquiry.paymentTypeId ?? PaymentType.sale.rawValue) == activity.rawValue {
            return .status(inquiry.statusId)
        }
        guard let activities else { return .needActivities }
        return .status(activities.latest(activity)?.statusId)
    }

    /// Before sending, after the window: what the activity's latest status allows.
    public static func beforeSending(statusId: Int?, activity: PaymentType) -> RollbackDecision {
        let what = activity == .cancel ? "cancel" : "sale"
        switch PaymentStatus.meaning(of: statusId) {
        case .notTaken:
            return .send
        case .rolledBack:
            return .alreadyRolledBack(statusId: statusId ?? PaymentStatus.rolledBack.rawValue)
        case .onDevice:
            return .notRevocable(
                why: "the \(what) is on the device (status \(describe(statusId))): a rollback would be refused"
                    + (activity == .sale ? "; queue a cancel instead" : ""),
                statusId: statusId)
        case .successful, .failed:
            return .notRevocable(
                why: "the \(what) is already final (status \(describe(statusId))): nothing to roll back",
                statusId: statusId)
        case .unknown:
            return .askAgain(
                why: statusId == nil
                    ? "Paywall reported no status for the \(what); asking again"
                    : "the \(what)'s status is \(describe(statusId)); asking again")
        }
    }

    /// After Paywall refused the rollback with `Payment.Async.NotConvenientStatusForThisOperation`
    /// (which means both "too early" and "the device has it"), decided with our clock and a fresh
    /// status:
    /// - taken (11) or final → not revocable, with Paywall's words and the status;
    /// - already rolled back (12) → done;
    /// - still not taken, refused within ``tooEarlyGraceMillis`` of the window by our clock, and
    ///   this was the first send (`attemptsBefore == 0`) → one retry a full 5 s window after the
    ///   refusal;
    /// - still not taken otherwise → not revocable;
    /// - status unknown or unreadable → ask again (the next round inquires before any send, and a
    ///   second refusal is final).
    public static func afterRefusal(
        statusId: Int?, activity: PaymentType, paywallWords: String, refusedAt: EpochMillis,
        windowOpenedAt: EpochMillis, attemptsBefore: Int
    ) -> RollbackDecision {
        let what = activity == .cancel ? "cancel" : "sale"
        switch PaymentStatus.meaning(of: statusId) {
        case .rolledBack:
            return .alreadyRolledBack(statusId: statusId ?? PaymentStatus.rolledBack.rawValue)
        case .onDevice, .successful, .failed:
            return .notRevocable(
                why: "Paywall refused the rollback (\(paywallWords)); the \(what) is at status \(describe(statusId))",
                statusId: statusId)
        case .notTaken:
            let sinceWindow = refusedAt - windowOpenedAt
            if sinceWindow <= tooEarlyGraceMillis && attemptsBefore == 0 {
                return .retry(
                    at: refusedAt + WorkerConfiguration.paywallRollbackWindowMillis,
                    why: "Paywall refused the rollback \(sinceWindow) ms after the window (\(paywallWords)) while the "
                        + "\(what) is not taken (status \(describe(statusId))): retrying once after a full window")
            }
            return .notRevocable(
                why: "Paywall refused the rollback (\(paywallWords)) although the \(what) is not taken (status "
                    + "\(describe(statusId))), \(sinceWindow) ms after the window",
                statusId: statusId)
        case .unknown:
            return .askAgain(
                why: "Paywall refused the rollback (\(paywallWords)); the \(what)'s status is unknown: asking again")
        }
    }

    static func describe(_ statusId: Int?) -> String {
        statusId.map(PaymentStatus.describe) ?? "none"
    }
}
