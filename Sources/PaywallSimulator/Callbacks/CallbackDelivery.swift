import OutboxModel
import PaywallClient

/// One status-change callback: where it goes, what it carries and what became of it.
public struct CallbackDelivery: Sendable, Hashable {
    /// The payment's `CallbackAddress`.
    public var url: String
    /// The JSON payload.
    public var payload: JSONValue
    /// When the change happened.
    public var at: EpochMillis

    /// Creates a delivery.
    public init(url: String, payload: JSONValue, at: EpochMillis) {
        self.url = url
        self.payload = payload
        self.at = at
    }

    /// The payload of a status change of `payment`, signed with `key` (see ``CallbackHash``) and
    /// naming `keyType` as its `HashKeyType`.
    public static func make(
        for payment: SimulatedPayment, change: StatusChange, key: String, keyType: Int = CallbackHash.keyType
    ) -> CallbackDelivery? {
        guard let url = payment.order.callbackAddress, !url.isEmpty else { return nil }
        let hash = CallbackHash.compute(
            key: key, paymentRequestId: payment.paymentRequestId,
            merchantUniqueCode: payment.order.merchantUniqueCode, amount: payment.order.amount)
        let payload = JSONValue.object([
            .init("ConnectionId", .string("00000000-0000-4000-8000-00000000c0de")),
            .init("TerminalId", .string(payment.terminalId)),
            .init("PaymentRequestId", .string(payment.paymentRequestId)),
            .init("PaymentRequestActivityId", .string(change.activityId)),
            .init("PaymentTypeId", .number(String(change.activity.rawValue))),
            .init("PaymentStatusId", .number(String(change.to.rawValue))),
            .init("MerchantUniqueCode", .string(payment.order.merchantUniqueCode)),
            .init("DisplayCode", payment.order.displayCode.map(JSONValue.string) ?? .null),
            .init("Amount", .number(payment.order.amount)),
            .init("Message", change.to == .failed ? .string(payment.message ?? "") : .null),
            .init("Hash", .string(hash)),
            .init("HashFormat", .string(CallbackHash.format)),
            .init("HashKeyType", .number(String(keyType))),
        ])
        return CallbackDelivery(url: url, payload: payload, at: change.at)
    }
}
