import OutboxModel

/// Checks a complete request body (as sent to Paywall, `PaymentRequestId` included for
/// follow-ups) against the catalog. Pure; the simulator calls it on what it receives.
///
/// Known fields are checked (type, GUID format, required, lengths, ranges, cross-field rules);
/// unknown fields are passed through untouched and never refused.
public enum PaywallRequestValidator {
    /// Validates the body of a command kind.
    public static func validate(
        kind: CommandKind, body: JSONValue, approveVariant: MarketplaceApproveVariant = .payment
    ) throws(ValidationError) {
        try validate(operation: .command(kind), body: body, approveVariant: approveVariant)
    }

    /// Validates JSON text as the body of a command kind.
    public static func validate(
        kind: CommandKind, bodyText: String, approveVariant: MarketplaceApproveVariant = .payment
    ) throws(ValidationError) {
        let body: JSONValue
        do {
            body = try JSONValue.parse(bodyText)
        } catch {
            throw ValidationError(
                code: .invalidJSON, field: "", description: "the request body is not valid JSON: \(error)")
        }
        try validate(kind: kind, body: body, approveVariant: approveVariant)
    }

    /// Validates the body of any operation. Operations without a body (the inquiry) accept
    /// anything: their only input is the PaymentRequestId in the path
    /// (``validatePaymentRequestId(_:)``).
    public static func validate(
        operation: PaywallOperation, body: JSONValue, approveVariant: MarketplaceApproveVariant = .payment
    ) throws(ValidationError) {
        let endpoint = PaywallCatalog(approveVariant: approveVariant).endpoint(for: operation)
        guard let schema = endpoint.body else {
            return
        }
        try schema.check(body)
    }

    /// Validates a PaymentRequestId given outside a body (inquiry path, follow-up column).
    public static func validatePaymentRequestId(_ id: String) throws(ValidationError) {
        guard GUID.isValid(id) else {
            throw ValidationError(
                code: .invalidGUID, field: "PaymentRequestId",
                description: "PaymentRequestId must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
        }
    }
}
