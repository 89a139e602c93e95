/// The letter case of a Physical API answer: PascalCase for sale, inquiry, list and pairing;
/// camelCase for cancel and the rollbacks (as Paywall's own examples show).
public enum EnvelopeCasing: String, Sendable, Hashable, Codable {
    /// `Result`, `ErrorCode`, `PaymentRequestId`, ...
    case pascal
    /// `result`, `errorCode`, `paymentRequestId`, ...
    case camel

    /// `key` (written in PascalCase) in this casing.
    public func key(_ key: String) -> String {
        switch self {
        case .pascal: return key
        case .camel:
            guard let first = key.first else { return key }
            return first.lowercased() + key.dropFirst()
        }
    }
}
