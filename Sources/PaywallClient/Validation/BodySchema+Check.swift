import Foundation
import OutboxModel

extension BodySchema {
    /// Checks a whole body: first every key and string anywhere in it against ``TextRule``
    /// (unknown members included), then this schema: keys, fields, either/or groups, rules.
    /// `path` prefixes field names in errors.
    public func check(
        _ value: JSONValue, path: String = "", unknownFields: UnknownFieldPolicy = .refuse
    ) throws(ValidationError) {
        try Self.checkText(value, path: path)
        try checkShape(value, path: path, unknownFields: unknownFields)
    }

    /// The schema part of ``check(_:path:unknownFields:)`` (the text was checked once for the
    /// whole body).
    func checkShape(_ value: JSONValue, path: String, unknownFields: UnknownFieldPolicy) throws(ValidationError) {
        guard case .object(let members) = value else {
            throw ValidationError(
                code: .notAnObject, field: path,
                description: "\(path.isEmpty ? "the request body" : path) must be a JSON object, not \(value.typeName)")
        }
        try checkKeys(members, path: path, unknownFields: unknownFields)
        for spec in fields {
            let name = Self.join(path, spec.name)
            let present = members.first(where: { $0.key == spec.name })?.value
            guard let present, !present.isNull else {
                if spec.required {
                    throw ValidationError(code: .missingField, field: name, description: "\(name) is required")
                }
                continue
            }
            try Self.check(present, as: spec.type, name: name, unknownFields: unknownFields)
        }
        for group in exactlyOneOf {
            let set = group.filter { key in
                if let found = members.first(where: { $0.key == key })?.value { return !found.isNull }
                return false
            }
            if set.count != 1 {
                let names = group.map { Self.join(path, $0) }.joined(separator: " or ")
                throw ValidationError(
                    code: .exactlyOneOf, field: group.map { Self.join(path, $0) }.joined(separator: "|"),
                    description: set.isEmpty ? "one of \(names) is required" : "set only one of \(names), not both")
            }
        }
        for rule in rules {
            if let problem = rule(value, path) { throw problem }
        }
    }

    /// Every key must be a known field spelled exactly. A case variant of a known field is
    /// refused whatever the policy (so that `Amount` and `amount` never both reach Paywall); any
    /// other key is refused unless the policy lets unknown fields through.
    func checkKeys(_ members: [JSONValue.Member], path: String, unknownFields: UnknownFieldPolicy) throws(ValidationError) {
        let known = fields.map(\.name)
        for member in members where !known.contains(member.key) {
            let name = PathText.member(path, member.key)
            let folded = member.key.lowercased()
            if let expected = known.first(where: { $0.lowercased() == folded }) {
                throw ValidationError(
                    code: .wrongCase, field: name,
                    description: "\(name) must be spelled \(expected) (Paywall's exact field name)")
            }
            guard unknownFields == .refuse else { continue }
            let suggestion = KeySuggestion.closest(to: member.key, among: known).map {
                "; did you mean \(Self.join(path, $0))?"
            }
            throw ValidationError(
                code: .unknownField, field: name,
                description:
                    "\(name) is not a field of this request in Paywall's documentation\(suggestion ?? "") (a field Paywall accepts that is not listed yet can be let through with the worker's --allow-unknown-fields)"
            )
        }
    }

    static func join(_ path: String, _ name: String) -> String {
        PathText.member(path, name)
    }

    /// Every key (as an identifier) and every string (as free text) in `value`, wherever it is.
    static func checkText(_ value: JSONValue, path: String) throws(ValidationError) {
        switch value {
        case .string(let text):
            // A body that is a bare string is refused as not an object.
            if !path.isEmpty, let problem = TextRule.problem(text, kind: .freeText, field: path) { throw problem }
        case .array(let elements):
            for (position, element) in elements.enumerated() {
                try checkText(element, path: PathText.element(path, position))
            }
        case .object(let members):
            for member in members {
                let name = PathText.member(path, member.key)
                if let found = TextRule.firstRefused(in: member.key, kind: .identifier) {
                    throw ValidationError(
                        code: .forbiddenCharacter, field: name,
                        description:
                            "the key \(name) contains \(found.refusal.rawValue) (\(PathText.codePoint(found.scalar))) at character \(found.position); such characters are never sent to Paywall"
                    )
                }
                try checkText(member.value, path: name)
            }
        case .null, .bool, .number:
            break
        }
    }

    /// `CharacterSet.whitespaces`, fetched once: its getter makes a new set on every call, and
    /// it was called for every character of every non-empty string field.
    private static let blank = CharacterSet.whitespaces

    static func check(
        _ value: JSONValue, as type: FieldType, name: String, unknownFields: UnknownFieldPolicy
    ) throws(ValidationError) {
        func wrongType(_ expected: String) -> ValidationError {
            ValidationError(
                code: .wrongType, field: name, description: "\(name) must be \(expected), not \(value.typeName)")
        }
        switch type {
        case .guid:
            guard let text = value.stringValue else { throw wrongType("a GUID string") }
            guard GUID.isValid(text) else {
                throw ValidationError(
                    code: .invalidGUID, field: name,
                    description: "\(name) must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
            }
            if let problem = GUIDRule.nilProblem(text, field: name) { throw problem }
        case .string(let maxLength, let nonEmpty, let kind):
            guard let text = value.stringValue else { throw wrongType("a string") }
            // Blank: nothing left once `.whitespaces` is trimmed, i.e. every scalar is one
            // (without Foundation's trimming copy on every string field of every request).
            if nonEmpty && text.unicodeScalars.allSatisfy({ blank.contains($0) }) {
                throw ValidationError(code: .empty, field: name, description: "\(name) must not be empty")
            }
            if let problem = TextRule.problem(text, kind: kind, field: name) { throw problem }
            if let maxLength, text.utf16.count > maxLength {
                throw ValidationError(
                    code: .tooLong, field: name,
                    description: "\(name) is \(text.utf16.count) characters long; at most \(maxLength) allowed")
            }
        case .bool:
            guard value.boolValue != nil else { throw wrongType("true or false") }
        case .integer(let minimum):
            guard let literal = value.numberLiteral else { throw wrongType("an integer") }
            guard let number = Int(literal) else {
                throw ValidationError(
                    code: .wrongType, field: name, description: "\(name) must be an integer, not \(literal)")
            }
            if let minimum, number < minimum {
                throw ValidationError(
                    code: .outOfRange, field: name,
                    description: minimum == 1
                        ? "\(name) must be a positive integer, not \(literal)"
                        : "\(name) must be at least \(minimum), not \(literal)")
            }
        case .integerIn(let range):
            guard let literal = value.numberLiteral else { throw wrongType("an integer") }
            guard let number = Int(literal) else {
                throw ValidationError(
                    code: .wrongType, field: name, description: "\(name) must be an integer, not \(literal)")
            }
            guard range.contains(number) else {
                throw ValidationError(
                    code: .outOfRange, field: name,
                    description: "\(name) must be between \(range.lowerBound) and \(range.upperBound), not \(literal)")
            }
        case .integerOneOf(let values):
            guard let literal = value.numberLiteral else { throw wrongType("an integer") }
            guard let number = Int(literal), values.contains(number) else {
                throw ValidationError(
                    code: .outOfRange, field: name,
                    description:
                        "\(name) must be one of \(values.map(String.init).joined(separator: ", ")), not \(literal)")
            }
        case .amount:
            guard let literal = value.numberLiteral else {
                throw wrongType("a JSON number such as 22.10 (not a string)")
            }
            guard JSONValue.isValidNumberLiteral(literal) else {
                throw ValidationError(
                    code: .wrongType, field: name, description: "\(name) must be a decimal number such as 22.10")
            }
            if let problem = AmountRule.problem(literal, field: name) { throw problem }
        case .currency:
            if PaywallCurrency(jsonValue: value) != nil { break }
            let listing = "one of Paywall's currencies \(PaywallCurrency.listing), as the id or as a string holding the id or the code"
            switch value {
            case .number(let literal) where Int(literal) != nil:
                throw ValidationError(
                    code: .outOfRange, field: name, description: "\(name) must be \(listing), not \(literal)")
            case .string(let text):
                throw ValidationError(
                    code: .outOfRange, field: name,
                    description: "\(name) must be \(listing), not \"\(PathText.printable(text))\"")
            case .number(let literal):
                throw ValidationError(
                    code: .wrongType, field: name, description: "\(name) must be an integer id, not \(literal)")
            default:
                throw wrongType("an integer id or a string")
            }
        case .date:
            guard let text = value.stringValue else { throw wrongType("a date string yyyy-MM-dd") }
            guard PaywallDate.isValid(text) else {
                throw ValidationError(
                    code: .invalidDate, field: name,
                    description: "\(name) must be a date yyyy-MM-dd, not \(PathText.printable(text))")
            }
        case .object(let schema):
            try schema.checkShape(value, path: name, unknownFields: unknownFields)
        case .array(let elementType, let nonEmpty):
            guard let elements = value.arrayValue else { throw wrongType("an array") }
            if nonEmpty && elements.isEmpty {
                throw ValidationError(code: .empty, field: name, description: "\(name) must not be empty")
            }
            for (position, element) in elements.enumerated() {
                try check(element, as: elementType, name: PathText.element(name, position), unknownFields: unknownFields)
            }
        }
    }
}
