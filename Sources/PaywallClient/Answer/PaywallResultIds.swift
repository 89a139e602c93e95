/// The ids and values a command answer carries, read without regard to key case from
/// `Result` (Physical) or `Body` (PaymentAPI), falling back to the top level.
public struct PaywallResultIds: Sendable, Hashable {
    /// `PaymentRequestId`: the payment order (store it).
    public var paymentRequestId: String?
    /// `PaymentRequestActivityId`: the latest step.
    public var paymentRequestActivityId: String?
    /// `PaymentRequestActivityTypeId` (1 sale, 2 cancel, 3 refund, 4 unknown).
    public var paymentRequestActivityTypeId: Int?
    /// `PaymentStatus` / `PaymentStatusId` when numeric.
    public var paymentStatusId: Int?
    /// `TerminalPairId` (pair confirm, unpair).
    public var terminalPairId: String?
    /// `PairAsyncRequestId` (async pair request).
    public var pairAsyncRequestId: String?
    /// `PairRequestId` (sync pair request).
    public var pairRequestId: String?
    /// `PairCode` (pair requests), verbatim (number literal or string).
    public var pairCode: String?
    /// `TerminalId`.
    public var terminalId: String?
    /// `MerchantUniqueCode`, when echoed.
    public var merchantUniqueCode: String?

    /// Creates empty ids.
    public init() {}

    /// Reads the ids of an answer.
    public init(answer: JSONValue) {
        let containers = [answer["Result"], answer["Body"], answer].compactMap { $0 }.filter {
            if case .object = $0 { return true }
            return false
        }
        func text(_ keys: String...) -> String? {
            for container in containers {
                for key in keys {
                    if let value = container[key] {
                        if let text = value.stringValue { return text }
                        if let literal = value.numberLiteral { return literal }
                    }
                }
            }
            return nil
        }
        func int(_ keys: String...) -> Int? {
            for container in containers {
                for key in keys {
                    if let value = container[key]?.intValue { return value }
                }
            }
            return nil
        }
        paymentRequestId = text("PaymentRequestId")
        paymentRequestActivityId = text("PaymentRequestActivityId")
        paymentRequestActivityTypeId = int("PaymentRequestActivityTypeId")
        paymentStatusId = int("PaymentStatusId", "PaymentStatus")
        terminalPairId = text("TerminalPairId")
        pairAsyncRequestId = text("PairAsyncRequestId")
        pairRequestId = text("PairRequestId")
        pairCode = text("PairCode")
        terminalId = text("TerminalId")
        merchantUniqueCode = text("MerchantUniqueCode")
    }
}
