import OutboxModel
import PaywallClient

/// A cancel command on a payment: a device command of its own with S1 statuses
/// (2 SentToDevice → 11 TakenByDevice → 4 Successful, or 12 RolledBack by a cancel rollback
/// while not taken).
public struct CancelCommand: Sendable, Hashable, Codable {
    /// The cancel activity's `PaymentRequestActivityId`.
    public var activityId: String
    /// When the simulator accepted the cancel.
    public var acceptedAt: EpochMillis
    /// The cancel activity's status.
    public var status: PaymentStatus
    /// When the terminal took the cancel; after that it cannot be rolled back.
    public var takenAt: EpochMillis?

    /// Creates a cancel command record.
    public init(
        activityId: String, acceptedAt: EpochMillis, status: PaymentStatus = .sentToDevice, takenAt: EpochMillis? = nil
    ) {
        self.activityId = activityId
        self.acceptedAt = acceptedAt
        self.status = status
        self.takenAt = takenAt
    }

    /// Whether the cancel still counts (not rolled back).
    public var isOpen: Bool { status != .rolledBack }
}
