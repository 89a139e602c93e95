import Foundation

/// Exact decimal arithmetic on JSON number literals, with `Foundation.Decimal` built from the
/// literal text in the POSIX locale. Never goes through `Double`.
public enum ExactDecimal {
    /// JSON's decimal point whatever the process's locale; made once (a Locale per amount was a
    /// visible share of a drain's request validation).
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// The decimal value of a JSON number literal (`22.10`, `1e2`, `-0.5`), or `nil` when the
    /// text is not a JSON number or is not exactly representable (more than 38 significant
    /// digits, or an exponent out of range).
    public static func parse(_ literal: String) -> Decimal? {
        guard JSONValue.isValidNumberLiteral(literal) else { return nil }
        // Refuse literals with more significant digits than Decimal holds exactly.
        let mantissa = literal.prefix { $0 != "e" && $0 != "E" }
        let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
        let trimmed = digits.reversed().drop { $0 == "0" }
        guard trimmed.count <= 38 else { return nil }
        guard let value = Decimal(string: literal, locale: posix) else { return nil }
        guard !value.isNaN else { return nil }
        return value
    }
}
