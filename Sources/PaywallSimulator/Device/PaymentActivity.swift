import OutboxModel
import PaywallClient

/// One row of Paywall's activities list for a payment: an activity (the sale, or a cancel)
/// reaching a status (`docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md`: `Id`,
/// `PaymentTypeId`, `PaymentStatusId`, `Date`; one row per status, oldest first).
public struct PaymentActivity: Sendable, Hashable, Codable {
    /// `Id`: the activity's `PaymentRequestActivityId`.
    public var id: String
    /// `PaymentTypeId`: 1 sale, 2 cancel.
    public var type: PaymentType
    /// The status the activity reached.
    public var status: PaymentStatus
    /// When (simulated time).
    public var at: EpochMillis

    /// Creates a row.
    public init(id: String, type: PaymentType, status: PaymentStatus, at: EpochMillis) {
        self.id = id
        self.type = type
        self.status = status
        self.at = at
    }
}
