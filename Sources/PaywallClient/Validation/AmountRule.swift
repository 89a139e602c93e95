/// How a money amount (`Amount`, `Products[].Amount`) must be written, checked on the literal
/// text the producer wrote (``JSONValue`` keeps it; it is sent as written).
///
/// - a JSON number, not a string (the outbox schema's CHECK agrees: `json_type` integer or real);
/// - plain digits: no exponent (`1e2`, `1E2`, `1.5e1`), so the literal Paywall receives and the
///   amount in its callback hash are the digits a person reads;
/// - at most ``maximumFractionDigits`` decimals in the literal (`22.105`, `0.0000001` and also
///   `22.100` are refused: what is sent is what was written);
/// - at most ``maximumIntegerDigits`` digits before the point;
/// - greater than zero.
public enum AmountRule {
    /// Decimals allowed: the minor units shared by every currency Paywall lists
    /// (``PaywallCurrency/minorUnits``; a test keeps the two in step).
    public static let maximumFractionDigits = 2

    /// Digits allowed before the decimal point (our choice; Paywall states no bound). 16 + 2
    /// decimals is `decimal(18,2)`, the usual .NET/SQL Server money column, so no amount we send
    /// can overflow or be rounded by such a store: at most 9999999999999999.99.
    public static let maximumIntegerDigits = 16

    /// Why `literal` (a valid JSON number literal) is not an acceptable amount, or `nil`.
    static func problem(_ literal: String, field name: String) -> ValidationError? {
        if literal.contains(where: { $0 == "e" || $0 == "E" }) {
            return ValidationError(
                code: .exponentNotation, field: name,
                description: "\(name) must be written as plain decimal digits such as 22.10, not in exponent notation (\(literal))")
        }
        let unsigned = literal.hasPrefix("-") ? literal.dropFirst() : Substring(literal)
        let parts = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerDigits = parts[0].count
        let fractionDigits = parts.count > 1 ? parts[1].count : 0
        if fractionDigits > maximumFractionDigits {
            return ValidationError(
                code: .tooManyDecimals, field: name,
                description:
                    "\(name) has \(fractionDigits) decimals (\(Self.shown(literal))); at most \(maximumFractionDigits) are allowed (every currency Paywall lists has \(maximumFractionDigits) minor units)")
        }
        if integerDigits > maximumIntegerDigits {
            return ValidationError(
                code: .tooManyDigits, field: name,
                description:
                    "\(name) has \(integerDigits) digits before the decimal point; at most \(maximumIntegerDigits) are allowed")
        }
        if literal.hasPrefix("-") || !unsigned.contains(where: { $0 != "0" && $0 != "." }) {
            return ValidationError(
                code: .outOfRange, field: name, description: "\(name) must be greater than zero, not \(literal)")
        }
        return nil
    }

    /// The literal, shortened when very long, for messages.
    static func shown(_ literal: String) -> String {
        literal.count <= 40 ? literal : "\(literal.prefix(20))…\(literal.suffix(10))"
    }
}
