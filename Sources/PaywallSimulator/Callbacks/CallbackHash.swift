/// The `Hash` of a simulated physical-payment callback.
///
/// ASSUMPTION (Paywall's physical hash layout is not documented, API-NOTES §6):
/// `sha256hex(key###PaymentRequestId###MerchantUniqueCode###Amount)`, lowercase hex, with
/// `Amount` as the literal text the sale was sent with.
public enum CallbackHash {
    /// The `HashFormat` value the simulator reports for this layout (a simulator choice).
    public static let format = 1
    /// The `HashKeyType` value the simulator reports (a simulator choice).
    public static let keyType = 1

    /// The hash for the given key and payment fields.
    public static func compute(key: String, paymentRequestId: String, merchantUniqueCode: String, amount: String)
        -> String
    {
        SHA256.hex([key, paymentRequestId, merchantUniqueCode, amount].joined(separator: "###"))
    }
}
