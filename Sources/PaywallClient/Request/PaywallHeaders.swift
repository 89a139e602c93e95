/// Ordered HTTP headers. Credential headers (`apikey*`, `apiclient*`, `authorization`) are
/// shown as `<redacted>` by `description`, `debugDescription` and `dump`.
public struct PaywallHeaders: Sendable, Hashable, Sequence, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// One header.
    public struct Field: Sendable, Hashable {
        /// The name, as sent.
        public var name: String
        /// The value, as sent.
        public var value: String
    }

    /// The headers in order.
    public private(set) var fields: [Field]

    /// Creates headers from name/value pairs, keeping their order.
    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Appends a header.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// The first value of a header, by name without regard to case.
    public subscript(name: String) -> String? {
        let folded = name.lowercased()
        return fields.first(where: { $0.name.lowercased() == folded })?.value
    }

    /// The header names in order.
    public var names: [String] { fields.map(\.name) }

    /// Iterates the fields.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Whether a header name carries a secret.
    public static func isSecret(_ name: String) -> Bool {
        let folded = name.lowercased()
        return folded.hasPrefix("apikey") || folded.hasPrefix("apiclient") || folded == "authorization"
    }

    private var redactedPairs: [(String, String)] {
        fields.map { ($0.name, Self.isSecret($0.name) ? "<redacted>" : $0.value) }
    }

    /// `[name: value, ...]` with secrets redacted.
    public var description: String {
        "[" + redactedPairs.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "]"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror of name/value children with secrets redacted.
    public var customMirror: Mirror {
        Mirror(
            self, children: redactedPairs.map { (label: $0.0 as String?, value: $0.1 as Any) },
            displayStyle: .dictionary)
    }
}
