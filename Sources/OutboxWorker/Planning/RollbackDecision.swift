import OutboxStore
import PaywallClient

/// After the rollback window: send the rollback only when nothing says the device has the sale.
public enum RollbackDecision {
    /// What to do given the payment's status as Paywall reported it.
    public static func decide(statusId: Int?, policy: PaymentStatusPolicy) -> PlanDecisionAfterInquiry {
        guard let statusId else {
            return .notRevocable("Paywall reported no status for the payment; it may be on the device")
        }
        switch policy.meaning(of: statusId) {
        case .notOnDevice:
            return .send
        case .rolledBack:
            return .alreadyRolledBack
        case .possiblyOnDevice, .onDevice:
            return .notRevocable("status \(statusId) (\(policy.meaning(of: statusId).rawValue)): the device may have the sale; queue a cancel instead")
        case .succeeded, .failed, .cancelled:
            return .notRevocable("status \(statusId) (\(policy.meaning(of: statusId).rawValue)): the sale is already settled")
        }
    }
}

/// The rollback decision once the payment's status is known.
public enum PlanDecisionAfterInquiry: Sendable, Hashable {
    /// Send the rollback.
    case send
    /// The payment is already rolled back: the rollback is done.
    case alreadyRolledBack
    /// Do not send: it cannot work.
    case notRevocable(String)
}
