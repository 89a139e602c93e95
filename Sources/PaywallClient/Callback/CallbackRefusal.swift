/// Why a callback was refused: it is neither recorded nor acted on. The receiver answers with a
/// short constant text per ``Code`` and logs the code (never the body: it holds customer data).
public struct CallbackRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal; the raw values are the documented strings (logs, counters).
    public enum Code: String, Sendable, Hashable, CaseIterable, Codable {
        /// The body is larger than the receiver reads.
        case bodyTooLarge = "body_too_large"
        /// The body is not JSON (or not UTF-8).
        case notJSON = "not_json"
        /// The body is JSON but not a callback: not an object, or a field written twice in
        /// different letter case.
        case malformedBody = "malformed_body"
        /// A field the callback needs is absent or `null` (``CallbackRefusal/field`` names it).
        case missingField = "missing_field"
        /// A field has the wrong type or shape (``CallbackRefusal/field`` names it), e.g. a
        /// `Hash` that is not 64 hex digits.
        case invalidField = "invalid_field"
        /// No key is configured for the callback's `HashKeyType`.
        case unknownKeyType = "unknown_key_type"
        /// The `Hash` matches none of the keys configured for its `HashKeyType`: forged, signed
        /// with another key, or altered on the way.
        case hashMismatch = "hash_mismatch"
    }

    /// What is wrong.
    public var code: Code
    /// The field concerned (`Hash`, `PaymentStatusId`, ...), when one is.
    public var field: String?
    /// The callback's `PaymentRequestId` when it could be read and looks like an id (at most 64
    /// letters, digits, `-`, `_`, `{`, `}`), for the log line; `nil` otherwise. Unverified: it
    /// only helps an operator find the payment.
    public var paymentRequestId: String?

    /// Creates a refusal.
    public init(code: Code, field: String? = nil, paymentRequestId: String? = nil) {
        self.code = code
        self.field = field
        self.paymentRequestId = paymentRequestId
    }

    /// `hash_mismatch`, or `missing_field Amount`.
    public var description: String {
        field.map { "\(code.rawValue) \($0)" } ?? code.rawValue
    }
}
