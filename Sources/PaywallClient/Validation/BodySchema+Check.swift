import Foundation
import OutboxModel

extension BodySchema {
    /// Checks `value` against this schema; `path` prefixes field names in errors.
    public func check(_ value: JSONValue, path: String = "") throws(ValidationError) {
        guard case .object(let members) = value else {
            throw ValidationError(
                code: .notAnObject, field: path,
                description: "\(path.isEmpty ? "the request body" : path) must be a JSON object, not \(value.typeName)")
        }
        for spec in fields {
            let name = Self.join(path, spec.name)
            // Known fields must be spelled exactly; a case variant is refused so that
            // `Amount` and `amount` can never both reach Paywall.
            let variants = members.map(\.key).filter { $0.lowercased() == spec.name.lowercased() && $0 != spec.name }
            if let variant = variants.first {
                throw ValidationError(
                    code: .wrongCase, field: Self.join(path, variant),
                    description: "\(Self.join(path, variant)) must be spelled \(spec.name) (Paywall's exact field name)"
                )
            }
            let present = members.first(where: { $0.key == spec.name })?.value
            guard let present, !present.isNull else {
                if spec.required {
                    throw ValidationError(code: .missingField, field: name, description: "\(name) is required")
                }
                continue
            }
            try Self.check(present, as: spec.type, name: name)
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

    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    static func check(_ value: JSONValue, as type: FieldType, name: String) throws(ValidationError) {
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
        case .string(let maxLength, let nonEmpty):
            guard let text = value.stringValue else { throw wrongType("a string") }
            if nonEmpty && text.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError(code: .empty, field: name, description: "\(name) must not be empty")
            }
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
        case .positiveDecimal:
            guard let literal = value.numberLiteral else { throw wrongType("a number") }
            guard let decimal = ExactDecimal.parse(literal) else {
                throw ValidationError(
                    code: .wrongType, field: name,
                    description: "\(name) must be a decimal number with at most 38 significant digits, not \(literal)")
            }
            guard decimal > 0 else {
                throw ValidationError(
                    code: .outOfRange, field: name, description: "\(name) must be greater than zero, not \(literal)")
            }
        case .integerOrString:
            switch value {
            case .number(let literal) where Int(literal) != nil: break
            case .string(let text) where !text.isEmpty: break
            default: throw wrongType("an integer or a non-empty string")
            }
        case .date:
            guard let text = value.stringValue else { throw wrongType("a date string yyyy-MM-dd") }
            guard PaywallDate.isValid(text) else {
                throw ValidationError(
                    code: .invalidDate, field: name, description: "\(name) must be a date yyyy-MM-dd, not \(text)")
            }
        case .object(let schema):
            try schema.check(value, path: name)
        case .array(let elementType, let nonEmpty):
            guard let elements = value.arrayValue else { throw wrongType("an array") }
            if nonEmpty && elements.isEmpty {
                throw ValidationError(code: .empty, field: name, description: "\(name) must not be empty")
            }
            for (position, element) in elements.enumerated() {
                try check(element, as: elementType, name: "\(name)[\(position)]")
            }
        }
    }
}
