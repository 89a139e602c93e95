import PaywallClient

/// Hides customer personal data in payloads and Paywall answers shown to operators.
///
/// Everything inside a `Customer` object is masked except its `Type`, and so are fields whose
/// names are personal data wherever they appear (a later Paywall field, a nested copy in an
/// answer): names, phone, e-mail, national identity, tax number, address parts. A masked string
/// keeps only its length class, never a character: `"***"`. Amounts, terminals, ids and codes
/// stay visible: operators need them.
public enum Masking {
    /// The text that replaces a hidden value.
    public static let mask = "***"

    /// Field names (compared case-insensitively) masked wherever they appear.
    public static let personalFields: Set<String> = [
        "firstname", "middlename", "lastname", "fullname", "name_surname", "customername", "companyname",
        "phone", "phonenumber", "gsm", "mobile", "email", "emailaddress", "identity", "identitynumber",
        "nationalid", "tckn", "taxnumber", "taxofficecode", "address", "neighborhood", "district",
    ]

    /// The object names whose whole content is personal data (except `Type`).
    public static let personalObjects: Set<String> = ["customer", "buyer", "billingaddress", "shippingaddress"]

    /// `value` with personal data replaced by ``mask``.
    public static func masked(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.map { member in
                    let key = member.key.lowercased()
                    if personalObjects.contains(key) { return JSONValue.Member(member.key, maskAll(member.value)) }
                    if personalFields.contains(key) { return JSONValue.Member(member.key, hide(member.value)) }
                    return JSONValue.Member(member.key, masked(member.value))
                })
        case .array(let elements):
            return .array(elements.map(masked))
        default:
            return value
        }
    }

    /// Masks every leaf of a personal object except its `Type` code.
    static func maskAll(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.map { member in
                    member.key.lowercased() == "type" && member.value.numberLiteral != nil
                        ? member : JSONValue.Member(member.key, maskAll(member.value))
                })
        case .array(let elements):
            return .array(elements.map(maskAll))
        default:
            return hide(value)
        }
    }

    static func hide(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null: .null
        case .object, .array: maskAll(value)
        default: .string(mask)
        }
    }

    /// JSON text with personal data masked; text that is not JSON is replaced entirely
    /// (it may hold anything) unless it is empty.
    public static func maskedText(_ text: String?) -> String? {
        guard let text else { return nil }
        guard let value = try? JSONValue.parse(text) else {
            return text.isEmpty ? text : "(not JSON; hidden, --reveal shows it)"
        }
        return masked(value).serialized()
    }
}

/// Indented JSON that keeps member order and number literals (22.10 stays 22.10).
public enum PrettyJSON {
    /// `value` as indented lines, two spaces per level, prefixed by `indent`.
    public static func lines(_ value: JSONValue, indent: String = "") -> [String] {
        var out: [String] = []
        write(value, prefix: indent, lead: "", trailer: "", into: &out)
        return out
    }

    private static func write(_ value: JSONValue, prefix: String, lead: String, trailer: String, into out: inout [String]) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out.append(prefix + lead + "{")
            for (index, member) in members.enumerated() {
                let key = JSONValue.string(member.key).serialized() + ": "
                write(
                    member.value, prefix: prefix + "  ", lead: key, trailer: index < members.count - 1 ? "," : "",
                    into: &out)
            }
            out.append(prefix + "}" + trailer)
        case .array(let elements) where !elements.isEmpty:
            out.append(prefix + lead + "[")
            for (index, element) in elements.enumerated() {
                write(element, prefix: prefix + "  ", lead: "", trailer: index < elements.count - 1 ? "," : "", into: &out)
            }
            out.append(prefix + "]" + trailer)
        default:
            out.append(prefix + lead + value.serialized() + trailer)
        }
    }
}
