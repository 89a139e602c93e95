import OutboxModel
import PaywallClient

/// An activity of a payment moved from one status to another (what a callback reports).
public struct StatusChange: Sendable, Hashable, Codable {
    /// `PaymentRequestId`.
    public var paymentRequestId: String
    /// The activity's `PaymentRequestActivityId`.
    public var activityId: String
    /// The activity: the sale or a cancel.
    public var activity: PaymentType
    /// The status before (`nil` for a new activity).
    public var from: PaymentStatus?
    /// The status after.
    public var to: PaymentStatus
    /// When it happened in simulated time (a scheduled time, not when it was noticed).
    public var at: EpochMillis

    /// Creates a status change.
    public init(
        paymentRequestId: String, activityId: String, activity: PaymentType, from: PaymentStatus?, to: PaymentStatus,
        at: EpochMillis
    ) {
        self.paymentRequestId = paymentRequestId
        self.activityId = activityId
        self.activity = activity
        self.from = from
        self.to = to
        self.at = at
    }
}
