import Crypto

/// The `Hash` of a simulated physical-payment callback, as Paywall documents it (API-NOTES S6):
/// lowercase hex SHA-256 of `key###PaymentRequestId###MerchantUniqueCode###Amount`
/// (`docs/hash-olusturma/formatlar.md`, format "PhysicalPos"), with the panel's "Physical POS
/// Webhook Hash Key" (`HashKeyType` 7, `docs/hash-olusturma/anahtar-tipleri.md`). How `Amount` is
/// written inside the hashed text is not stated: the simulator uses the literal the sale was sent
/// with. SHA-256 comes from swift-crypto.
public enum CallbackHash {
    /// The `HashFormat` the simulator reports: the format's name on Paywall's formats page (the
    /// page gives no numbers; a simulator choice).
    public static let format = "PhysicalPos"
    /// The `HashKeyType` of the Physical POS webhook key: 7 `PhysicalPosWebhook`.
    public static let keyType = 7

    /// The hash for the given key and payment fields.
    public static func compute(key: String, paymentRequestId: String, merchantUniqueCode: String, amount: String)
        -> String
    {
        hex([key, paymentRequestId, merchantUniqueCode, amount].joined(separator: "###"))
    }

    /// Lowercase hex SHA-256 of `text`'s UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
