import OutboxModel

/// One step in a payment's life (the sale, a cancel, a rollback), as Paywall's activities list it.
public struct PaymentActivity: Sendable, Hashable, Codable {
    /// `PaymentRequestActivityId`.
    public var id: String
    /// `PaymentTypeId` of the step: 1 sale, 2 cancellation.
    public var typeId: Int
    /// What the step was, in words (`sale`, `cancel`, `sale_rollback`, `cancel_rollback`).
    public var command: String
    /// When the simulator accepted the step.
    public var at: EpochMillis

    /// Creates an activity.
    public init(id: String, typeId: Int, command: String, at: EpochMillis) {
        self.id = id
        self.typeId = typeId
        self.command = command
        self.at = at
    }
}
