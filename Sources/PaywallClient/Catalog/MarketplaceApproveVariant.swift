/// Which generation of Paywall's marketplace "approve payment" endpoint to call. The docs
/// show three and do not say which applies to an account (API-NOTES §4, §11.11).
public enum MarketplaceApproveVariant: String, Sendable, Hashable, CaseIterable {
    /// POST /api/paywall/marketplace/approve/payment (older docs; the default).
    case payment
    /// POST /api/paywall/marketplace/approve/pw/payment (Paywall computes the split);
    /// configuration value `pw`.
    case paywallCalculator = "pw"
    /// POST /api/paywall/marketplace/approve/self/payment (the platform computes the split);
    /// configuration value `self`.
    case platformCalculator = "self"

    /// The endpoint path.
    public var path: String {
        switch self {
        case .payment: "/api/paywall/marketplace/approve/payment"
        case .paywallCalculator: "/api/paywall/marketplace/approve/pw/payment"
        case .platformCalculator: "/api/paywall/marketplace/approve/self/payment"
        }
    }
}
