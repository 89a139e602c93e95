import Crypto

/// Decides whether a callback body came from Paywall: reads it (``PaymentCallback``), looks up
/// the keys configured for its `HashKeyType` (``CallbackKeys``), and checks its `Hash` against
/// each of them with SHA-256 from swift-crypto, comparing digests in constant time
/// (swift-crypto's `Digest == bytes`). Pure: no I/O, no clock, no logging.
///
/// The received `Hash` is read as 64 hex digits in either letter case; anything else is refused
/// before any comparison (``CallbackRefusal/Code/invalidField``). Every candidate (each key of the
/// type × each way of writing `Amount`, see ``hashedAmountForms(_:)``) is compared, without
/// stopping at the first match.
public struct CallbackVerifier: Sendable {
    /// The largest body read by default: 64 KiB (a callback is well under 2 KiB).
    public static let defaultMaximumBodyBytes = 64 * 1024

    /// The keys accepted, by `HashKeyType`.
    public var keys: CallbackKeys
    /// Bodies larger than this are refused unread (``CallbackRefusal/Code/bodyTooLarge``).
    public var maximumBodyBytes: Int

    /// Creates a verifier.
    public init(keys: CallbackKeys, maximumBodyBytes: Int = CallbackVerifier.defaultMaximumBodyBytes) {
        self.keys = keys
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Reads and verifies a callback body.
    public func verify(body: some Collection<UInt8>) -> CallbackVerification {
        guard body.count <= maximumBodyBytes else { return .refused(CallbackRefusal(code: .bodyTooLarge)) }
        do {
            return verify(try PaymentCallback.parse(body: body))
        } catch {
            return .refused(error)
        }
    }

    /// Verifies the `Hash` of a callback already read.
    public func verify(_ callback: PaymentCallback) -> CallbackVerification {
        let id = callback.paymentRequestId
        let loggable = PaymentCallback.loggableId(id)
        guard let received = CallbackHash.bytes(fromHex: callback.hash) else {
            return .refused(CallbackRefusal(code: .invalidField, field: "Hash", paymentRequestId: loggable))
        }
        let candidates = keys.keys(for: callback.hashKeyType)
        guard !candidates.isEmpty else {
            return .refused(CallbackRefusal(code: .unknownKeyType, field: "HashKeyType", paymentRequestId: loggable))
        }
        var matched = false
        for key in candidates {
            for amount in Self.hashedAmountForms(callback.amount) {
                let digest = CallbackHash.digest(
                    key: key.revealedValue, paymentRequestId: id, merchantUniqueCode: callback.merchantUniqueCode,
                    amount: amount)
                // Constant-time comparison (swift-crypto), and no early exit.
                let equal = digest == received
                matched = matched || equal
            }
        }
        guard matched else {
            return .refused(CallbackRefusal(code: .hashMismatch, field: "Hash", paymentRequestId: loggable))
        }
        return .verified(callback)
    }

    /// The ways `Amount` may be written inside the hashed text, for a callback whose `Amount` is
    /// `literal`. Paywall does not say (API-NOTES S6: `1.44` or `1.4400`?), so the verifier accepts
    /// the literal itself and the same value written with 0 to 4 decimals (the sale's own
    /// 2-decimal form among them; 4 is what a .NET `decimal(18,4)` column prints), dropping only
    /// zeros: `1.4400` → `1.4400`, `1.44`, `1.440`; `5` → `5`, `5.0`, `5.00`, `5.000`, `5.0000`.
    /// All forms have the same value, so accepting several never accepts another amount.
    /// A literal with an exponent is used as it is, only.
    public static func hashedAmountForms(_ literal: String) -> [String] {
        var forms = [literal]
        let unsigned = literal.hasPrefix("-") ? String(literal.dropFirst()) : literal
        let sign = literal.hasPrefix("-") ? "-" : ""
        let parts = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit),
            parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isASCIIDigit))
        else { return forms }
        let integer = String(parts[0])
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 4 else { return forms }
        for decimals in fraction.count...4 {
            let padded = fraction + String(repeating: "0", count: decimals - fraction.count)
            let form = decimals == 0 ? sign + integer : sign + integer + "." + padded
            if !forms.contains(form) { forms.append(form) }
        }
        return forms
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
