import Crypto

/// The `Hash` of Paywall's physical-payment callback (API-NOTES S6): lowercase hex SHA-256 of
/// `key###PaymentRequestId###MerchantUniqueCode###Amount` (`docs/hash-olusturma/formatlar.md`,
/// format "PhysicalPos"), with the panel's "Physical POS Webhook Hash Key" (`HashKeyType` 7,
/// `docs/hash-olusturma/anahtar-tipleri.md`). How `Amount` is written inside the hashed text is
/// not stated (see ``CallbackVerifier/hashedAmountForms(_:)``). SHA-256 comes from swift-crypto.
///
/// The simulator signs with it and ``CallbackVerifier`` checks with it, so both sides of the
/// contract are one piece of code.
public enum CallbackHash {
    /// The `HashFormat` the simulator reports: the format's name on Paywall's formats page (the
    /// page gives no numbers; a simulator choice). The verifier does not require it.
    public static let format = "PhysicalPos"
    /// The `HashKeyType` of the Physical POS webhook key: 7 `PhysicalPosWebhook`.
    public static let keyType = 7
    /// The separator between the hashed fields.
    public static let separator = "###"

    /// The text that is hashed: `key###PaymentRequestId###MerchantUniqueCode###Amount`.
    public static func hashedText(key: String, paymentRequestId: String, merchantUniqueCode: String, amount: String)
        -> String
    {
        [key, paymentRequestId, merchantUniqueCode, amount].joined(separator: separator)
    }

    /// The SHA-256 digest for the given key and payment fields (compare it with `==` against the
    /// received bytes: swift-crypto's comparison takes constant time).
    public static func digest(key: String, paymentRequestId: String, merchantUniqueCode: String, amount: String)
        -> SHA256Digest
    {
        SHA256.hash(
            data: Array(
                hashedText(
                    key: key, paymentRequestId: paymentRequestId, merchantUniqueCode: merchantUniqueCode,
                    amount: amount
                ).utf8))
    }

    /// The hash for the given key and payment fields, as lowercase hex.
    public static func compute(key: String, paymentRequestId: String, merchantUniqueCode: String, amount: String)
        -> String
    {
        hexString(
            digest(
                key: key, paymentRequestId: paymentRequestId, merchantUniqueCode: merchantUniqueCode, amount: amount))
    }

    /// Lowercase hex SHA-256 of `text`'s UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        hexString(SHA256.hash(data: Array(text.utf8)))
    }

    /// Bytes as lowercase hex.
    static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a hex string of exactly `byteCount` bytes (either letter case), or `nil` for
    /// anything else (a wrong length, a non-hex character, spaces, a `0x` prefix).
    public static func bytes(fromHex text: String, byteCount: Int = SHA256Digest.byteCount) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == byteCount * 2 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(byteCount)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }
}
