/// What a string field holds, which decides the characters it may contain.
public enum TextKind: Sendable, Hashable {
    /// A code, id, address or number a machine matches or a person must read exactly
    /// (TerminalTagCode, DisplayCode, CallbackAddress, TaxNumber, Email, ...): besides what
    /// ``TextRule`` refuses everywhere, no invisible character at all.
    case identifier
    /// Words for people (product names, customer names, addresses, receipt text): only what
    /// ``TextRule`` refuses everywhere.
    case freeText
}

/// Characters never sent to Paywall. Refused **everywhere** in a payload (every string value
/// and every key, known or not, also when unknown fields pass through):
/// - control characters: C0 (U+0000–U+001F, NUL, tab and newline included), DEL U+007F and C1
///   (U+0080–U+009F); Paywall's docs allow none in any field;
/// - bidirectional controls, which make text display in another order than it is stored:
///   U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069;
/// - line and paragraph separators U+2028, U+2029, the byte order mark U+FEFF and noncharacters.
///
/// In ``TextKind/identifier`` fields and in keys, also every invisible (default-ignorable or
/// format) character: soft hyphen U+00AD, zero-width U+200B–U+200D, word joiner U+2060–U+2064,
/// Mongolian vowel separator U+180E, Hangul fillers, variation selectors, tag characters...
/// Free text keeps those (a zero-width joiner is part of some scripts and emoji).
public enum TextRule {
    /// Why a scalar is refused.
    public enum Refusal: String, Sendable, Hashable {
        /// A C0/C1 control character or DEL.
        case control = "a control character"
        /// A bidirectional control.
        case bidirectional = "a bidirectional control character"
        /// A separator, byte order mark or noncharacter.
        case invisibleSeparator = "an invisible separator"
        /// An invisible (default-ignorable or format) character, refused in identifiers.
        case invisible = "an invisible character"
    }

    /// The first refused scalar of `text` for a field of `kind` (keys count as identifiers):
    /// the scalar, its 1-based position among the text's scalars, and why.
    public static func firstRefused(in text: String, kind: TextKind) -> (
        scalar: Unicode.Scalar, position: Int, refusal: Refusal
    )? {
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if let refusal = refusal(of: scalar, kind: kind) { return (scalar, index + 1, refusal) }
        }
        return nil
    }

    /// Why `scalar` may not appear in a field of `kind`, or `nil`.
    public static func refusal(of scalar: Unicode.Scalar, kind: TextKind) -> Refusal? {
        let value = scalar.value
        // Fast path: printable ASCII.
        if value >= 0x20 && value < 0x7F { return nil }
        if value < 0x20 || (0x7F...0x9F).contains(value) { return .control }
        if value == 0x061C || value == 0x200E || value == 0x200F || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value)
        {
            return .bidirectional
        }
        let properties = scalar.properties
        if value == 0x2028 || value == 0x2029 || value == 0xFEFF || properties.isNoncharacterCodePoint {
            return .invisibleSeparator
        }
        if kind == .identifier {
            if properties.isDefaultIgnorableCodePoint || properties.generalCategory == .format
                || value == 0x180E || value == 0x115F || value == 0x1160 || value == 0x3164 || value == 0xFFA0
            {
                return .invisible
            }
        }
        return nil
    }

    /// The problem with `text` in field `name`, or `nil`.
    static func problem(_ text: String, kind: TextKind, field name: String) -> ValidationError? {
        guard let found = firstRefused(in: text, kind: kind) else { return nil }
        return ValidationError(
            code: .forbiddenCharacter, field: name,
            description:
                "\(name) contains \(found.refusal.rawValue) (\(PathText.codePoint(found.scalar))) at character \(found.position); such characters are never sent to Paywall"
        )
    }
}
