/// Why a text is not acceptable JSON, and where: the byte offset and the path of the value
/// being read (`Products[0].Amount`), so that an operator can find it in the payload.
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
    /// The path of the value being read when it went wrong (`Products[0].Name`; empty for the
    /// top level). For ``Code/duplicateKey`` and for an error inside a key, the object holding
    /// the key.
    public var path: String
    /// For ``Code/duplicateKey``: the key written twice. For an error inside a key: `nil`.
    public var key: String?
    /// Whether the error is inside a key (rather than a value).
    public var inKey: Bool

    /// Creates an error.
    public init(code: Code, offset: Int, path: String = "", key: String? = nil, inKey: Bool = false) {
        self.code = code
        self.offset = offset
        self.path = path
        self.key = key
        self.inKey = inKey
    }

    /// The field to name: the duplicate key's own path (`Products[0].Amount`), else ``path``.
    public var field: String {
        key.map { PathText.member(path, $0) } ?? path
    }

    /// A one-line explanation naming the place, e.g.
    /// `invalid JSON (duplicate_key): duplicate key "Amount" at Products[0] (byte 57)`.
    public var description: String {
        let place = PathText.location(path)
        let what: String
        switch code {
        case .duplicateKey:
            what = "duplicate key \"\(PathText.key(key ?? ""))\" at \(place)"
        case .tooDeep:
            what = "nested deeper than allowed at \(place)"
        case .invalidUTF8:
            what = "the bytes are not UTF-8"
        case .trailingData:
            what = "something follows the JSON value"
        default:
            what = inKey ? "in a key of the object at \(place)" : "at \(place)"
        }
        return "invalid JSON (\(code.rawValue)): \(what) (byte \(offset))"
    }
}
