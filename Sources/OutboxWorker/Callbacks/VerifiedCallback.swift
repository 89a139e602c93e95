import OutboxModel
import PaywallClient

/// A physical-payment callback whose `Hash` was verified with a configured key: Paywall sent it.
/// What the listener hands its ``CallbackSink``; never built from an unverified body.
///
/// It says what Paywall reported at `receivedAt`. Delivery order and guarantees are not
/// documented (API-NOTES S6): callbacks may come twice, late or out of order, so a sink records
/// them idempotently on ``eventKey`` and never lets an older status override a final one.
public struct VerifiedCallback: Sendable, Hashable {
    /// `PaymentRequestId`, as received.
    public var paymentRequestId: String
    /// `PaymentRequestActivityId`: the activity (sale or cancel) whose status changed.
    public var paymentRequestActivityId: String?
    /// `PaymentTypeId` (``PaymentType``: 1 sale, 2 cancel).
    public var paymentTypeId: Int
    /// `PaymentStatusId` (S1, ``PaymentStatus``).
    public var paymentStatusId: Int
    /// `MerchantUniqueCode`, as received.
    public var merchantUniqueCode: String
    /// `Amount`, its literal text as received (`1.44`, `1.4400`).
    public var amount: String
    /// `Message`: Paywall's failure text.
    public var message: String?
    /// `TerminalId`.
    public var terminalId: String?
    /// `HashKeyType` of the key that verified it.
    public var hashKeyType: Int
    /// When the listener received it (ms since the Unix epoch).
    public var receivedAt: EpochMillis
    /// The body exactly as received (UTF-8 JSON; it holds customer data: store it, never log it).
    public var body: String

    /// Creates a verified callback (tests and sinks; the listener uses ``init(_:receivedAt:body:)``).
    public init(
        paymentRequestId: String, paymentRequestActivityId: String?, paymentTypeId: Int, paymentStatusId: Int,
        merchantUniqueCode: String, amount: String, message: String?, terminalId: String?, hashKeyType: Int,
        receivedAt: EpochMillis, body: String
    ) {
        self.paymentRequestId = paymentRequestId
        self.paymentRequestActivityId = paymentRequestActivityId
        self.paymentTypeId = paymentTypeId
        self.paymentStatusId = paymentStatusId
        self.merchantUniqueCode = merchantUniqueCode
        self.amount = amount
        self.message = message
        self.terminalId = terminalId
        self.hashKeyType = hashKeyType
        self.receivedAt = receivedAt
        self.body = body
    }

    /// A callback that ``CallbackVerifier`` verified.
    public init(_ callback: PaymentCallback, receivedAt: EpochMillis, body: String) {
        self.init(
            paymentRequestId: callback.paymentRequestId, paymentRequestActivityId: callback.paymentRequestActivityId,
            paymentTypeId: callback.paymentTypeId, paymentStatusId: callback.paymentStatusId,
            merchantUniqueCode: callback.merchantUniqueCode, amount: callback.amount, message: callback.message,
            terminalId: callback.terminalId, hashKeyType: callback.hashKeyType, receivedAt: receivedAt, body: body)
    }

    /// The status, or `nil` for a number outside Paywall's table.
    public var paymentStatus: PaymentStatus? { PaymentStatus(rawValue: paymentStatusId) }

    /// The activity type, or `nil` for a number outside Paywall's table.
    public var paymentType: PaymentType? { PaymentType(rawValue: paymentTypeId) }

    /// What makes two deliveries the same event: (PaymentRequestId, PaymentRequestActivityId,
    /// PaymentStatusId), ids compared without regard to case (API-NOTES S6).
    public var eventKey: CallbackEventKey {
        CallbackEventKey(
            paymentRequestId: paymentRequestId.lowercased(),
            paymentRequestActivityId: paymentRequestActivityId?.lowercased(), paymentStatusId: paymentStatusId)
    }
}

/// The idempotency key of a callback: one status of one activity of one payment. Ids lowercase.
public struct CallbackEventKey: Sendable, Hashable {
    /// `PaymentRequestId`, lowercase.
    public var paymentRequestId: String
    /// `PaymentRequestActivityId`, lowercase (`nil` when the callback carried none).
    public var paymentRequestActivityId: String?
    /// `PaymentStatusId`.
    public var paymentStatusId: Int

    /// Creates a key (pass lowercase ids).
    public init(paymentRequestId: String, paymentRequestActivityId: String?, paymentStatusId: Int) {
        self.paymentRequestId = paymentRequestId
        self.paymentRequestActivityId = paymentRequestActivityId
        self.paymentStatusId = paymentStatusId
    }
}
