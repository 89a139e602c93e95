/// The payment status numbers the simulator reports as `PaymentStatus` / `PaymentStatusId`.
///
/// Paywall documents only `2 = SentToDevice`; every other number is a simulator choice that
/// matches the `.simulator` status policy of `PaywallClient` (see docs/simulator.md).
public enum SimulatedPaymentStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    /// Created, not yet sent (never reported by the simulator; kept for the numbering).
    case created = 1
    /// Accepted and waiting for the terminal to take it (documented by Paywall).
    case sentToDevice = 2
    /// The terminal has taken the command; it can no longer be rolled back.
    case onDevice = 3
    /// Cancelled (also reported right after a cancel command is accepted).
    case cancelled = 4
    /// The terminal completed the sale.
    case succeeded = 5
    /// The terminal reported a failure (e.g. card declined).
    case failed = 6
    /// The sale command was revoked before the terminal took it.
    case rolledBack = 7

    /// The English identifier reported next to the number (`PaymentStatus` name fields).
    public var name: String {
        switch self {
        case .created: "Created"
        case .sentToDevice: "SentToDevice"
        case .onDevice: "OnDevice"
        case .cancelled: "Cancelled"
        case .succeeded: "Succeeded"
        case .failed: "Failed"
        case .rolledBack: "RolledBack"
        }
    }

    /// Whether nothing will change this status by itself any more (only a command could).
    public var isFinal: Bool {
        switch self {
        case .created, .sentToDevice, .onDevice: false
        case .cancelled, .succeeded, .failed, .rolledBack: true
        }
    }
}
