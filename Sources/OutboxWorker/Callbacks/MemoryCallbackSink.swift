/// A reference ``CallbackSink`` in memory, for tests and embedders: records each event once
/// (idempotent on ``VerifiedCallback/eventKey``), remembers every delivery, and can be told which
/// payments exist and to fail.
public actor MemoryCallbackSink: CallbackSink {
    /// Every callback handed to the sink, in order, duplicates included.
    public private(set) var deliveries: [VerifiedCallback] = []
    /// The callbacks recorded (the first delivery of each event), in order.
    public private(set) var recorded: [VerifiedCallback] = []
    private var seen: Set<CallbackEventKey> = []
    private var knownPayments: Set<String>?
    private var failure: (any Error)?

    /// Creates a sink. `knownPayments` (PaymentRequestIds, any case) limits which payments are
    /// recorded (others are ``CallbackDisposition/unknownPayment``); `nil` knows every payment.
    public init(knownPayments: Set<String>? = nil) {
        self.knownPayments = knownPayments.map { Set($0.map { $0.lowercased() }) }
    }

    /// Makes every following ``accept(_:)`` throw `error` (`nil`: work again).
    public func setFailure(_ error: (any Error)?) {
        failure = error
    }

    /// Adds a payment to the known ones.
    public func addKnownPayment(_ paymentRequestId: String) {
        knownPayments?.insert(paymentRequestId.lowercased())
    }

    /// See ``CallbackSink/accept(_:)``.
    public func accept(_ callback: VerifiedCallback) async throws -> CallbackDisposition {
        deliveries.append(callback)
        if let failure { throw failure }
        if let knownPayments, !knownPayments.contains(callback.paymentRequestId.lowercased()) {
            return .unknownPayment
        }
        guard seen.insert(callback.eventKey).inserted else { return .duplicate }
        recorded.append(callback)
        return .recorded
    }
}
