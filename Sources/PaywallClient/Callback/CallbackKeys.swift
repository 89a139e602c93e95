/// The webhook hash keys a callback receiver accepts, by `HashKeyType` (API-NOTES S6: the key in
/// use may change with `HashKeyType`, so the verifier looks the key up by the type the callback
/// names). Several keys per type may be configured at once: during a rotation the old and the new
/// key both verify, until the old one is removed.
///
/// Keys are ``PaywallSecret``s: the description, debug description and reflection show only how
/// many keys each type has, never a key.
///
/// Text form (``parse(_:)``, for a keys file or `OUTBOX_CALLBACK_KEYS`): one entry per line (or
/// entries separated by commas), each `HashKeyType key`: a whole number, whitespace, the key.
/// Blank entries and lines starting with `#` are skipped. A key cannot contain whitespace or a
/// comma.
///
/// ```
/// # Physical POS webhook hash keys (HashKeyType 7), old and new during a rotation
/// 7 2f1c0e4d9b8a...
/// 7 9d0b7e51c3aa...
/// ```
public struct CallbackKeys: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private var byType: [Int: [PaywallSecret]] = [:]

    /// No keys.
    public init() {}

    /// The given keys, in order (a key given twice for one type is kept once).
    public init(_ entries: [(keyType: Int, key: String)]) {
        for entry in entries { add(entry.key, keyType: entry.keyType) }
    }

    /// Adds `key` for `keyType` (nothing changes when it is already there or empty).
    public mutating func add(_ key: String, keyType: Int) {
        guard !key.isEmpty else { return }
        let secret = PaywallSecret(key)
        var keys = byType[keyType] ?? []
        guard !keys.contains(secret) else { return }
        keys.append(secret)
        byType[keyType] = keys
    }

    /// Every key of `other` added to these.
    public func merging(_ other: CallbackKeys) -> CallbackKeys {
        var merged = self
        for keyType in other.keyTypes {
            for key in other.keys(for: keyType) { merged.add(key.revealedValue, keyType: keyType) }
        }
        return merged
    }

    /// The keys configured for `keyType`, in the order given (empty when none).
    public func keys(for keyType: Int) -> [PaywallSecret] {
        byType[keyType] ?? []
    }

    /// The key types that have at least one key, ascending.
    public var keyTypes: [Int] { byType.keys.sorted() }

    /// How many keys there are, all types together.
    public var count: Int { byType.values.reduce(0) { $0 + $1.count } }

    /// Whether no key is configured.
    public var isEmpty: Bool { count == 0 }

    /// `7: 2 keys` per type, never a key; `no keys` when empty.
    public var summary: String {
        guard !isEmpty else { return "no keys" }
        return keyTypes.map { type in
            let n = keys(for: type).count
            return "HashKeyType \(type): \(n) key\(n == 1 ? "" : "s")"
        }.joined(separator: ", ")
    }

    /// `CallbackKeys(HashKeyType 7: 2 keys)`.
    public var description: String { "CallbackKeys(\(summary))" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror showing only the summary.
    public var customMirror: Mirror { Mirror(self, children: ["summary": summary], displayStyle: .struct) }

    /// Reads the text form (see the type's documentation). Errors name the entry by its number
    /// (line, or comma-separated entry) and never quote a key.
    public static func parse(_ text: String) throws(CallbackKeysError) -> CallbackKeys {
        var keys = CallbackKeys()
        let entries = text.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "," })
        for (index, raw) in entries.enumerated() {
            let entry = raw.trimmingWhitespace()
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            let fields = entry.split(whereSeparator: { $0.isWhitespace })
            let number = index + 1
            guard fields.count == 2 else {
                throw CallbackKeysError(
                    entry: number,
                    message: fields.count < 2
                        ? "expected \"HashKeyType key\" (a whole number, a space, the key)"
                        : "more than two fields (a key cannot contain spaces)")
            }
            guard let keyType = Int(fields[0]), keyType >= 0 else {
                throw CallbackKeysError(
                    entry: number, message: "HashKeyType must be a whole number (7 for the Physical POS webhook key)")
            }
            let key = String(fields[1])
            if key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw CallbackKeysError(entry: number, message: "the key contains control characters")
            }
            keys.add(key, keyType: keyType)
        }
        return keys
    }
}

/// Why a keys text could not be read. Never quotes a key.
public struct CallbackKeysError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The entry's number, from 1 (the line, or the comma-separated entry).
    public var entry: Int
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(entry: Int, message: String) {
        self.entry = entry
        self.message = message
    }

    /// `entry 3: ...`.
    public var description: String { "entry \(entry): \(message)" }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
