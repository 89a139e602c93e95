/// Field paths as errors name them: `Amount`, `Products[1].Name`, `Customer.Email`; the body
/// itself is the empty path. Keys are written so that an error message (stored in the inbox,
/// logged) never carries a control or invisible character, nor an unbounded text.
public enum PathText {
    /// The longest key shown in full; longer ones are shortened in the middle.
    public static let keyLimit = 64
    /// The longest path shown in full; longer ones are shortened in the middle.
    public static let pathLimit = 256

    /// `path.key` (or `key` at the top level), with the key made printable.
    public static func member(_ path: String, _ key: String) -> String {
        let shown = self.key(key)
        return path.isEmpty ? shown : "\(path).\(shown)"
    }

    /// `path[index]`.
    public static func element(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }

    /// A key as messages show it: refused characters written as `\u{200B}`, at most
    /// ``keyLimit`` characters.
    public static func key(_ key: String) -> String {
        printable(key, limit: keyLimit)
    }

    /// `text` with every character ``TextRule`` refuses in identifiers written as `\u{200B}`,
    /// shortened in the middle past `limit` characters.
    public static func printable(_ text: String, limit: Int = keyLimit) -> String {
        // The same result, without building a copy: printable ASCII has nothing to escape and
        // one character per byte. Every field of every request is named this way (over a quarter
        // of a drain's request building went here).
        if text.utf8.count <= limit && text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        return escapedAndShortened(text, limit: limit)
    }

    /// ``printable(_:limit:)`` the long way, scalar by scalar (a test holds the fast path to it).
    static func escapedAndShortened(_ text: String, limit: Int) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            if TextRule.refusal(of: scalar, kind: .identifier) != nil {
                shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shortened(shown, limit: limit)
    }

    /// A path for a message: `the top level` for the body, shortened past ``pathLimit``.
    public static func location(_ path: String) -> String {
        path.isEmpty ? "the top level" : shortened(path, limit: pathLimit)
    }

    /// `U+200B`.
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    static func shortened(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        let half = (limit - 1) / 2
        return "\(text.prefix(half))…\(text.suffix(half))"
    }
}
