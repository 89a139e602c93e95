/// How a terminal decides whether a sale it has taken succeeds or fails.
public enum SaleOutcomeRule: String, Sendable, Hashable, Codable, CaseIterable {
    /// Fails when the amount's cents are `13` (`12.13`, `0.13`, `7.130`); succeeds otherwise.
    /// Lets one terminal show both outcomes by choosing the amount.
    case byAmount = "by_amount"
    /// Every sale succeeds.
    case alwaysSucceed = "always_succeed"
    /// Every sale fails ("card declined").
    case alwaysFail = "always_fail"

    /// Whether a sale of `amount` (its literal JSON text) succeeds under this rule.
    public func succeeds(amount: String) -> Bool {
        switch self {
        case .alwaysSucceed: return true
        case .alwaysFail: return false
        case .byAmount: return Self.cents(of: amount) != "13"
        }
    }

    /// The first two fractional digits of a decimal literal, padded with zeros (`"5"` → `"00"`,
    /// `"1.1"` → `"10"`). Exponent forms are read literally up to the exponent.
    static func cents(of amount: String) -> String {
        let mantissa = amount.split(whereSeparator: { $0 == "e" || $0 == "E" }).first.map(String.init) ?? amount
        guard let dot = mantissa.firstIndex(of: ".") else { return "00" }
        let fraction = mantissa[mantissa.index(after: dot)...]
        return String((fraction + "00").prefix(2))
    }
}
