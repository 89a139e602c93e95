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
        let folded = key.lowercased()
        return members.first(where: { $0.key.lowercased() == folded })?.value
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
        let folded = key.lowercased()
        return members.map(\.key).filter { $0.lowercased() == folded }
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
