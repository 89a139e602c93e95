/// The expected JSON shape of a known request field.
public indirect enum FieldType: Sendable {
    /// A string holding a GUID (8-4-4-4-12 hex digits), never the all-zero GUID.
    case guid
    /// A string, optionally bounded in length (counted in UTF-16 code units, as .NET does),
    /// optionally required to be non-empty, its characters checked by ``TextRule`` for `kind`.
    case string(maxLength: Int?, nonEmpty: Bool, kind: TextKind)
    /// `true` or `false`.
    case bool
    /// An integer number literal (no fraction, no exponent) at least `minimum`.
    case integer(minimum: Int?)
    /// An integer number literal within `range` (e.g. a 2-digit FontSize).
    case integerIn(ClosedRange<Int>)
    /// An integer number literal equal to one of `values` (e.g. TaxGroupId 0, 1, 10, 20).
    case integerOneOf([Int])
    /// A money amount: a JSON number written as plain digits, greater than zero, within
    /// ``AmountRule``'s decimals and digits.
    case amount
    /// A `CurrencyId`: one of ``PaywallCurrency`` as an integer, or a string holding its id or
    /// code (the docs' table says string, the examples send an integer).
    case currency
    /// A date `yyyy-MM-dd`.
    case date
    /// A nested object with its own known fields.
    case object(BodySchema)
    /// An array whose elements all have one type; `nonEmpty` refuses `[]`.
    case array(of: FieldType, nonEmpty: Bool)
}

/// A known field of a request body.
public struct FieldSpec: Sendable {
    /// The field name, with Paywall's exact spelling.
    public var name: String
    /// The expected shape.
    public var type: FieldType
    /// Whether the field must be present and not `null`.
    public var required: Bool

    /// Creates a field specification.
    public init(_ name: String, _ type: FieldType, required: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
    }
}

/// The known fields of a request body (or nested object) and its cross-field rules. A key not
/// listed is refused unless the ``UnknownFieldPolicy`` lets it through (docs/paywall-client.md,
/// "Request building").
public struct BodySchema: Sendable {
    /// A cross-field rule, run after every field checked out: returns the problem, or `nil`.
    /// Takes the object and the path of the object (empty for the body).
    public typealias Rule = @Sendable (_ object: JSONValue, _ path: String) -> ValidationError?

    /// The known fields.
    public var fields: [FieldSpec]
    /// Groups of fields of which exactly one must be present (and not `null`).
    public var exactlyOneOf: [[String]]
    /// Cross-field rules.
    public var rules: [Rule]

    /// Creates a schema.
    public init(fields: [FieldSpec], exactlyOneOf: [[String]] = [], rules: [Rule] = []) {
        self.fields = fields
        self.exactlyOneOf = exactlyOneOf
        self.rules = rules
    }
}
