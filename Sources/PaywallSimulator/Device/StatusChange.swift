import OutboxModel

/// A payment moved from one status to another (what a callback reports).
public struct StatusChange: Sendable, Hashable, Codable {
    /// `PaymentRequestId`.
    public var paymentRequestId: String
    /// The status before.
    public var from: SimulatedPaymentStatus
    /// The status after.
    public var to: SimulatedPaymentStatus
    /// When it happened in simulated time (a scheduled time, not when it was noticed).
    public var at: EpochMillis

    /// Creates a status change.
    public init(paymentRequestId: String, from: SimulatedPaymentStatus, to: SimulatedPaymentStatus, at: EpochMillis) {
        self.paymentRequestId = paymentRequestId
        self.from = from
        self.to = to
        self.at = at
    }
}
