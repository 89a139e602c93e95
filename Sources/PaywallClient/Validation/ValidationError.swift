/// Why a request body was refused before sending. Names the offending field.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of validation failure.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The payload is not valid JSON (`field` is where it went wrong, when known).
        case invalidJSON = "invalid_json"
        /// The body (or a nested field that must be an object) is not a JSON object.
        case notAnObject = "not_an_object"
        /// A required field is absent or `null`.
        case missingField = "missing_field"
        /// A field has the wrong JSON type.
        case wrongType = "wrong_type"
        /// A field that must be a GUID is not one.
        case invalidGUID = "invalid_guid"
        /// A GUID field holds the all-zero GUID (`Guid.Empty`), which names nothing.
        case nilGUID = "nil_guid"
        /// A string is longer than allowed.
        case tooLong = "too_long"
        /// A string that must not be empty is empty.
        case empty = "empty"
        /// A number is outside its allowed range (e.g. not positive), or an id is not one of the
        /// documented values.
        case outOfRange = "out_of_range"
        /// An amount written in exponent notation (`1e2`).
        case exponentNotation = "exponent_notation"
        /// An amount with more decimals than its currency has.
        case tooManyDecimals = "too_many_decimals"
        /// An amount with more digits before the decimal point than allowed.
        case tooManyDigits = "too_many_digits"
        /// A string (or key) holds a control, bidirectional or invisible character.
        case forbiddenCharacter = "forbidden_character"
        /// A key the catalog's schema does not list (see ``UnknownFieldPolicy``).
        case unknownField = "unknown_field"
        /// Not exactly one of two alternative fields is set (TerminalId / TerminalTagCode).
        case exactlyOneOf = "exactly_one_of"
        /// The product lines do not add up to the sale amount.
        case productTotalMismatch = "product_total_mismatch"
        /// A date is not `yyyy-MM-dd`, or the range is reversed.
        case invalidDate = "invalid_date"
        /// A known field is spelled with different letter case (or twice in different cases).
        case wrongCase = "wrong_case"
        /// A field the producer must not set (e.g. PaymentRequestId on a follow-up payload).
        case forbiddenField = "forbidden_field"
    }

    /// What is wrong.
    public var code: Code
    /// The offending field as a path, e.g. `Amount`, `Products[1].Name`, `Customer.Email`
    /// (empty for the body itself).
    public var field: String
    /// A clear, human explanation naming the field.
    public var description: String

    /// Creates an error.
    public init(code: Code, field: String, description: String) {
        self.code = code
        self.field = field
        self.description = description
    }
}
