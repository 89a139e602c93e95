import OutboxModel

/// A cancel command on a payment and how far the terminal got with it.
public struct CancelCommand: Sendable, Hashable, Codable {
    /// The activity id the cancel answer reported.
    public var activityId: String
    /// When the simulator accepted the cancel.
    public var acceptedAt: EpochMillis
    /// When the terminal took the cancel; after that it cannot be rolled back.
    public var takenAt: EpochMillis?
    /// The payment's status before the cancel, restored by a cancel rollback.
    public var statusBefore: SimulatedPaymentStatus

    /// Creates a cancel command record.
    public init(
        activityId: String, acceptedAt: EpochMillis, takenAt: EpochMillis? = nil, statusBefore: SimulatedPaymentStatus
    ) {
        self.activityId = activityId
        self.acceptedAt = acceptedAt
        self.takenAt = takenAt
        self.statusBefore = statusBefore
    }
}
