import PaywallClient

/// What an accepted payment command answers (`PaymentRequestId`, `PaymentRequestActivityId`,
/// `PaymentRequestActivityTypeId`, `PaymentStatus`). The status is the commanded activity's,
/// informative only (as in Paywall's examples).
public struct CommandAnswer: Sendable, Hashable, Codable {
    /// `PaymentRequestId`.
    public var paymentRequestId: String
    /// `PaymentRequestActivityId` of the activity the command concerns.
    public var activityId: String
    /// `PaymentRequestActivityTypeId`: 1 sale, 2 cancel.
    public var activityType: PaymentType
    /// `PaymentStatus` of that activity right after the command.
    public var status: PaymentStatus

    /// Creates an answer.
    public init(paymentRequestId: String, activityId: String, activityType: PaymentType, status: PaymentStatus) {
        self.paymentRequestId = paymentRequestId
        self.activityId = activityId
        self.activityType = activityType
        self.status = status
    }
}
