/// A JSON value that keeps what Paywall and producers wrote: object members stay in their
/// original order and every number keeps its literal text (`22.10` stays `22.10`, `1e2` stays
/// `1e2`). There is no `Double` anywhere: amounts are compared and summed with
/// `Foundation.Decimal` built from the literal (see ``decimalValue``).
///
/// Equality is structural and literal: `1.0` and `1.00` are different numbers, and two objects
/// with the same members in a different order are different values.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its literal JSON text (for example `"22.10"`, `"-3"`, `"1e2"`).
    ///
    /// The case itself checks nothing; use ``JSONValue/isValidNumberLiteral(_:)`` when the text
    /// comes from outside (``serialized()`` writes the literal as it is).
    case number(String)
    /// A string (already unescaped).
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, as its members in document order.
    case object([Member])

    /// One `"key": value` member of a JSON object.
    public struct Member: Sendable, Hashable {
        /// The member's key, exactly as written.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }
}

extension JSONValue {
    /// Parses JSON text strictly (RFC 8259): no trailing garbage, no comments, no trailing
    /// commas, valid escapes only, no duplicate keys within an object, nesting at most
    /// `maxDepth` arrays/objects deep.
    public static func parse(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError)
        -> JSONValue
    {
        var parser = JSONParser(bytes: Array(text.utf8), maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses UTF-8 encoded JSON bytes strictly; invalid UTF-8 is refused.
    public static func parse(bytes: some Sequence<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth)
        throws(JSONParseError) -> JSONValue
    {
        let array = Array(bytes)
        // A lossless round trip through String proves the bytes are valid UTF-8.
        guard Array(String(decoding: array, as: UTF8.self).utf8) == array else {
            throw JSONParseError(code: .invalidUTF8, offset: 0)
        }
        var parser = JSONParser(bytes: array, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Whether `text` is a valid JSON number literal (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    public static func isValidNumberLiteral(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let parser = JSONParser(bytes: bytes, maxDepth: 1)
        guard let end = try? parser.scanNumber(from: 0) else { return false }
        return end == bytes.count
    }
}
