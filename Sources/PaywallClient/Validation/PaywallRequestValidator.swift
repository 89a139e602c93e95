import OutboxModel

/// Checks a complete request body (as sent to Paywall, `PaymentRequestId` included for
/// follow-ups) against the catalog. Pure; the simulator calls it on what it receives.
///
/// Every key and string is checked for control, bidirectional and invisible characters
/// (``TextRule``); known fields are checked (type, GUID format and not all-zero, required,
/// lengths, ranges, amounts, currencies, cross-field rules); a key the catalog does not list is
/// refused unless `unknownFields` is ``UnknownFieldPolicy/passThrough``.
public enum PaywallRequestValidator {
    /// Validates the body of a command kind.
    public static func validate(
        kind: CommandKind, body: JSONValue, approveVariant: MarketplaceApproveVariant = .payment,
        unknownFields: UnknownFieldPolicy = .refuse
    ) throws(ValidationError) {
        try validate(operation: .command(kind), body: body, approveVariant: approveVariant, unknownFields: unknownFields)
    }

    /// Validates JSON text as the body of a command kind.
    public static func validate(
        kind: CommandKind, bodyText: String, approveVariant: MarketplaceApproveVariant = .payment,
        unknownFields: UnknownFieldPolicy = .refuse
    ) throws(ValidationError) {
        let body = try parse(bodyText, what: "the request body")
        try validate(kind: kind, body: body, approveVariant: approveVariant, unknownFields: unknownFields)
    }

    /// Validates the body of any operation. Operations without a body (the inquiry) accept
    /// anything: their only input is the PaymentRequestId in the path
    /// (``validatePaymentRequestId(_:)``).
    public static func validate(
        operation: PaywallOperation, body: JSONValue, approveVariant: MarketplaceApproveVariant = .payment,
        unknownFields: UnknownFieldPolicy = .refuse
    ) throws(ValidationError) {
        let endpoint = PaywallCatalog(approveVariant: approveVariant).endpoint(for: operation)
        guard let schema = endpoint.body else {
            return
        }
        try schema.check(body, unknownFields: unknownFields)
    }

    /// Validates a PaymentRequestId given outside a body (inquiry path, follow-up column).
    public static func validatePaymentRequestId(_ id: String, field: String = "PaymentRequestId") throws(ValidationError) {
        guard GUID.isValid(id) else {
            throw ValidationError(
                code: .invalidGUID, field: field,
                description: "\(field) must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
        }
        if let problem = GUIDRule.nilProblem(id, field: field) { throw problem }
    }

    /// Parses JSON text (`what` names it in messages); a JSON error becomes an
    /// ``ValidationError/Code/invalidJSON`` naming the path where it went wrong
    /// (`duplicate key "Amount" at Products[0]`).
    public static func parse(_ text: String, what: String = "the payload") throws(ValidationError) -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw invalidJSON(error, what: what)
        }
    }

    /// The validation error for a JSON error in `what`.
    public static func invalidJSON(_ error: JSONParseError, what: String = "the payload") -> ValidationError {
        ValidationError(code: .invalidJSON, field: error.field, description: "\(what) is not valid JSON: \(error)")
    }
}
