import PaywallClient

/// The payment status numbers the simulator reports as `PaymentStatus` / `PaymentStatusId`:
/// the client's own `SimulatorPaymentStatus`, so the simulator and the client's `.simulator`
/// status policy cannot drift apart.
///
/// Paywall documents only `2 = SentToDevice`; every other number is a simulator choice (see
/// docs/simulator.md).
public typealias SimulatedPaymentStatus = SimulatorPaymentStatus

extension SimulatorPaymentStatus {
    /// Whether nothing will change this status by itself any more (only a command could).
    public var isFinal: Bool {
        switch self {
        case .created, .sentToDevice, .onDevice: false
        case .cancelled, .succeeded, .failed, .rolledBack: true
        }
    }
}
