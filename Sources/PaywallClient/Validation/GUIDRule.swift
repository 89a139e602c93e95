/// GUID fields (`MerchantUniqueCode`, `TerminalId`, `PaymentRequestId`, `PairAsyncRequestId`)
/// name one thing each; the all-zero GUID (`.NET Guid.Empty`, what an unset GUID serialises to)
/// names nothing, so it is refused in every one of them.
public enum GUIDRule {
    /// The all-zero GUID.
    public static let nilGUID = "00000000-0000-0000-0000-000000000000"

    /// Whether `text` (a valid GUID) is the all-zero GUID.
    public static func isNil(_ text: String) -> Bool {
        text == nilGUID
    }

    /// The problem with a valid GUID `text` in field `name`, or `nil`.
    static func nilProblem(_ text: String, field name: String) -> ValidationError? {
        guard isNil(text) else { return nil }
        return ValidationError(
            code: .nilGUID, field: name,
            description: "\(name) is the all-zero GUID (\(nilGUID)), which names nothing; an unset value is never sent")
    }
}
