import OutboxModel
import PaywallClient

/// A second look at every body the simulator received, stricter than the simulator's own
/// validation (which is the client's, so it can never refuse what the client let through): what
/// a real Paywall may refuse or misread although our schemas pass it today.
enum PaywallStrictness {
    struct Finding: Sendable, CustomStringConvertible {
        var rule: String
        var route: String
        var detail: String
        var description: String { "\(rule) in \(route): \(detail)" }
    }

    /// Rules that today's pre-send validation lets through (by design or not yet): reported as
    /// known issues, not failures. Pre-send validation is being tightened in parallel; when a rule
    /// is enforced before sending, take it out of this set and the fuzz test holds it.
    static let tolerated: Set<String> = [
        // Enforced before sending since the pre-send validation landed (so no longer here):
        // amount_precision, exponent, unknown_member, control_character, zero_guid, and
        // replacement_character (the worker reads a payload's stored bytes and ends TEXT that is
        // not UTF-8 `failed / unreadable_row`; it no longer repairs it into U+FFFD).
    ]

    static func audit(route: String, body: String) -> [Finding] {
        guard !body.isEmpty, let json = try? JSONValue.parse(body) else { return [] }
        var findings: [Finding] = []
        let schema = schema(route: route)
        walk(json, schema: schema, path: "", route: route, into: &findings)
        return findings
    }

    static func schema(route: String) -> BodySchema? {
        if let kind = CommandKind(rawValue: route) { return PaywallCatalog().endpoint(for: kind).body }
        if route.hasPrefix("marketplace_approve") { return PaywallCatalog().endpoint(for: .marketplaceApprove).body }
        return nil  // the worker's own reads (inquiry, list, activities)
    }

    static let zeroGUID = "00000000-0000-0000-0000-000000000000"

    private static func walk(
        _ value: JSONValue, schema: BodySchema?, path: String, route: String, into findings: inout [Finding]
    ) {
        func add(_ rule: String, _ detail: String) { findings.append(Finding(rule: rule, route: route, detail: detail)) }
        switch value {
        case .object(let members):
            for member in members {
                let memberPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                var nested: BodySchema?
                if let schema {
                    if let field = schema.fields.first(where: { $0.name == member.key }) {
                        nested = objectSchema(field.type)
                    } else {
                        add("unknown_member", memberPath)
                    }
                }
                if member.key == "Amount", case .number(let literal) = member.value {
                    let mantissa = literal.prefix { $0 != "e" && $0 != "E" }
                    let decimals = mantissa.split(separator: ".").dropFirst().first?.count ?? 0
                    if decimals > 2 || literal.hasPrefix("-") { add("amount_precision", "\(memberPath) = \(literal)") }
                }
                walk(member.value, schema: nested, path: memberPath, route: route, into: &findings)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                walk(element, schema: schema, path: "\(path)[\(index)]", route: route, into: &findings)
            }
        case .number(let literal):
            if literal.contains(where: { $0 == "e" || $0 == "E" }) { add("exponent", "\(path) = \(literal)") }
        case .string(let text):
            if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                add("control_character", "\(path) = \(SQLValue.abbreviate(text, limit: 60))")
            }
            if text.unicodeScalars.contains("\u{FFFD}") {
                add("replacement_character", "\(path) = \(SQLValue.abbreviate(text, limit: 60))")
            }
            if text == zeroGUID { add("zero_guid", path) }
        case .null, .bool:
            break
        }
    }

    /// The schema of a field's object (or of its array's objects).
    private static func objectSchema(_ type: FieldType) -> BodySchema? {
        switch type {
        case .object(let schema): schema
        case .array(let element, _): objectSchema(element)
        default: nil
        }
    }
}
