/// What an accepted payment command answers (`PaymentRequestId`, `PaymentRequestActivityId`,
/// `PaymentRequestActivityTypeId`, `PaymentStatus`).
public struct CommandAnswer: Sendable, Hashable, Codable {
    /// `PaymentRequestId`.
    public var paymentRequestId: String
    /// `PaymentRequestActivityId` of the step just taken.
    public var activityId: String
    /// `PaymentRequestActivityTypeId`: 1 sale, 2 cancellation.
    public var activityTypeId: Int
    /// `PaymentStatus` right after the command.
    public var status: SimulatedPaymentStatus

    /// Creates an answer.
    public init(paymentRequestId: String, activityId: String, activityTypeId: Int, status: SimulatedPaymentStatus) {
        self.paymentRequestId = paymentRequestId
        self.activityId = activityId
        self.activityTypeId = activityTypeId
        self.status = status
    }
}
