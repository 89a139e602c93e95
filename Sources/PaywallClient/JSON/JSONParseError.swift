/// Why a text is not acceptable JSON.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of JSON error.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The text ended in the middle of a value.
        case unexpectedEnd = "unexpected_end"
        /// A character that cannot start or continue a value here.
        case unexpectedCharacter = "unexpected_character"
        /// A number that does not follow the JSON number grammar.
        case invalidNumber = "invalid_number"
        /// A backslash escape that JSON does not allow.
        case invalidEscape = "invalid_escape"
        /// A `\u` escape that is not valid UTF-16 (for example a lone surrogate).
        case invalidUnicodeEscape = "invalid_unicode_escape"
        /// A raw control character (below U+0020) inside a string.
        case controlCharacterInString = "control_character_in_string"
        /// Arrays/objects nested deeper than allowed.
        case tooDeep = "too_deep"
        /// Something follows the single top-level value.
        case trailingData = "trailing_data"
        /// The same key appears twice in one object.
        case duplicateKey = "duplicate_key"
        /// The bytes are not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
    }

    /// What went wrong.
    public var code: Code
    /// The byte offset in the UTF-8 input where it went wrong.
    public var offset: Int

    /// Creates an error.
    public init(code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// A one-line explanation, e.g. `invalid JSON (trailing_data) at byte 12`.
    public var description: String {
        "invalid JSON (\(code.rawValue)) at byte \(offset)"
    }
}
