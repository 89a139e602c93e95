import Foundation

extension JSONValue {
    /// The member value for `key`, matched without regard to case (Paywall answers use both
    /// `Result` and `result`). An exact match wins over a case-insensitive one; otherwise the
    /// first case-insensitive match in document order. `nil` when not an object or absent.
    public subscript(key: String) -> JSONValue? {
        value(forKey: key)
    }

    /// The element at `index`, or `nil` when not an array or out of range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The member value for `key` matched without regard to case (see ``subscript(_:)-(String)``).
    public func value(forKey key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        if let exact = members.first(where: { $0.key == key }) { return exact.value }
        return members.first(where: { Self.equalIgnoringCase($0.key, key) })?.value
    }

    /// Whether `a.lowercased() == b.lowercased()`, without making either lowercased copy while
    /// both are ASCII (every key Paywall documents is): each answer is searched for about ten
    /// keys in up to three objects, most of them absent, and the copies were most of the time
    /// spent reading an answer's ids. Text with any non-ASCII byte takes `lowercased()` itself,
    /// so a key written with U+212A KELVIN SIGN still matches "k" as it always did.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case (let x?, let y?):
                if x | y >= 0x80 { return a.lowercased() == b.lowercased() }
                // Both ASCII and equal so far: a differing letter here differs in the lowercased
                // texts too (ASCII lowercases byte for byte, and no later mark combines with it).
                if x != y && asciiLowercase(x) != asciiLowercase(y) { return false }
            default:
                // Different lengths: equal only through a non-ASCII character whose lowercase
                // has another length.
                let ascii = a.utf8.allSatisfy { $0 < 0x80 } && b.utf8.allSatisfy { $0 < 0x80 }
                return !ascii && a.lowercased() == b.lowercased()
            }
        }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The first value found for any of `keys` (each matched without regard to case).
    public func value(forAnyKey keys: String...) -> JSONValue? {
        for key in keys {
            if let value = value(forKey: key) { return value }
        }
        return nil
    }

    /// The member value whose key is exactly `key` (case-sensitive).
    public func value(forExactKey key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The keys of an object that equal `key` without regard to case (more than one means the
    /// producer wrote the same field twice in different casing).
    public func keys(matching key: String) -> [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.key).filter { Self.equalIgnoringCase($0, key) }
    }

    /// A copy of this object with `key` set to `value`: an existing member with that exact key
    /// is replaced in place; otherwise the member is inserted at `position` (default: first).
    /// Non-objects are returned unchanged.
    public func setting(_ key: String, to value: JSONValue, insertingAt position: Int = 0) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let existing = members.firstIndex(where: { $0.key == key }) {
            members[existing].value = value
        } else {
            members.insert(Member(key, value), at: min(max(position, 0), members.count))
        }
        return .object(members)
    }

    /// The members of an object, or `nil`.
    public var objectMembers: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, or `nil`.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of a boolean, or `nil`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The literal text of a number, or `nil`.
    public var numberLiteral: String? {
        if case .number(let literal) = self { return literal }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// An integer read from a number literal without fraction or exponent (`42`, `-1`), or
    /// from a string holding one (some services quote ids). `nil` otherwise or on overflow.
    public var intValue: Int? {
        switch self {
        case .number(let literal): return Int(literal)
        case .string(let text): return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// The exact decimal value of a number literal, built from its text (never via `Double`),
    /// or `nil` when not a number or not representable.
    public var decimalValue: Decimal? {
        guard case .number(let literal) = self else { return nil }
        return ExactDecimal.parse(literal)
    }

    /// A short name of the JSON type, for error messages: `null`, `boolean`, `number`,
    /// `string`, `array`, `object`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
