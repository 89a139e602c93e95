/// The product lists of a marketplace answer: `Body.Success[{ProductId}]` and
/// `Body.Fail[{ProductId, Reason}]`.
public struct MarketplaceApproval: Sendable, Hashable {
    /// A product that failed, with Paywall's reason verbatim.
    public struct Failure: Sendable, Hashable {
        /// `ProductId`, verbatim.
        public var productId: String?
        /// `Reason`, verbatim.
        public var reason: String?
    }

    /// `ProductId`s approved by this call, verbatim.
    public var succeeded: [String]
    /// Products that failed.
    public var failed: [Failure]

    /// Reads `Body` of a PaymentAPI answer (keys without regard to case); `nil` when absent.
    public init?(answer: JSONValue) {
        guard let body = answer["Body"], case .object = body else { return nil }
        func id(_ item: JSONValue) -> String? {
            item["ProductId"].flatMap { $0.numberLiteral ?? $0.stringValue }
        }
        succeeded = (body["Success"]?.arrayValue ?? []).compactMap(id)
        failed = (body["Fail"]?.arrayValue ?? []).map {
            Failure(productId: id($0), reason: $0["Reason"]?.stringValue)
        }
    }
}
