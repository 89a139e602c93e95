import Foundation

/// Exact decimal arithmetic on JSON number literals, with `Foundation.Decimal` built from the
/// literal's digits (``plain(_:)``) or its text in the POSIX locale. Never goes through `Double`.
public enum ExactDecimal {
    /// JSON's decimal point whatever the process's locale; made once (a Locale per amount was a
    /// visible share of a drain's request validation).
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// The decimal value of a JSON number literal (`22.10`, `1e2`, `-0.5`), or `nil` when the
    /// text is not a JSON number or is not exactly representable (more than 38 significant
    /// digits, or an exponent out of range).
    public static func parse(_ literal: String) -> Decimal? {
        guard JSONValue.isValidNumberLiteral(literal) else { return nil }
        if let small = plain(literal), !small.isNaN { return small }
        // Refuse literals with more significant digits than Decimal holds exactly.
        let mantissa = literal.prefix { $0 != "e" && $0 != "E" }
        let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
        let trimmed = digits.reversed().drop { $0 == "0" }
        guard trimmed.count <= 38 else { return nil }
        guard let value = Decimal(string: literal, locale: posix) else { return nil }
        guard !value.isNaN else { return nil }
        return value
    }

    /// The value of a valid literal without an exponent, with at most 19 significant digits and
    /// 38 digits after the point (every amount a till writes), built from its digits as an integer significand and a
    /// power-of-ten exponent: the same `Decimal` that `Decimal(string:locale:)` gives (same
    /// value, same text; a test compares them), without parsing the text a second time through
    /// a locale. `nil` sends any other literal down the general path.
    static func plain(_ literal: String) -> Decimal? {
        var negative = false
        var significand: UInt64 = 0
        var significant = 0
        var fractionDigits = 0
        var inFraction = false
        for byte in literal.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                negative = true
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inFraction { fractionDigits += 1 }
                // Leading zeros are not significant digits.
                if significand == 0 && byte == UInt8(ascii: "0") { continue }
                significant += 1
                if significant > 19 { return nil }
                significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
            default:
                // An exponent: the general path.
                return nil
            }
        }
        // A long fraction ("0.000…1") goes the general way too: Decimal's exponent stops at
        // -128, below which this initializer gives 0 where the text parses to nil.
        guard fractionDigits <= 38 else { return nil }
        return Decimal(sign: negative ? .minus : .plus, exponent: -fractionDigits, significand: Decimal(significand))
    }
}
