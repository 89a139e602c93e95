/// The simulated PaymentAPI marketplace: which products of which payment are approved.
///
/// Simulator rules (Paywall documents no link to physical payments): every `PaymentId` from 1
/// to 899 999 999 exists and has two products, `PaymentId × 10 + 1` and `PaymentId × 10 + 2`;
/// ids from 900 000 000 up do not exist. The three approve paths share one ledger.
public struct MarketplaceLedger: Sendable {
    /// The smallest `PaymentId` that does not exist.
    public static let firstUnknownPaymentId: Int64 = 900_000_000
    /// The reason reported for each product of a repeated approve (Paywall's documented text).
    public static let alreadyApprovedReason = "This product already approved"

    /// Approved product ids per payment id.
    public private(set) var approved: [Int64: Set<Int64>] = [:]
    /// How many approve requests each payment received (accepted or not).
    public private(set) var approveCounts: [Int64: Int] = [:]

    /// Creates an empty ledger.
    public init() {}

    /// The products of `paymentId`, or `nil` when the payment does not exist.
    public static func products(of paymentId: Int64) -> [Int64]? {
        guard paymentId >= 1, paymentId < firstUnknownPaymentId else { return nil }
        return [paymentId * 10 + 1, paymentId * 10 + 2]
    }

    /// One product an approve refused.
    public struct ProductFailure: Sendable, Hashable, Codable {
        /// `ProductId`.
        public var productId: Int64
        /// `Reason`.
        public var reason: String

        /// Creates a failure.
        public init(productId: Int64, reason: String) {
            self.productId = productId
            self.reason = reason
        }
    }

    /// The result of an approve.
    public enum ApproveResult: Sendable, Hashable {
        /// The payment does not exist (ErrorCode 32).
        case paymentNotFound
        /// Products approved now and products refused with a reason.
        case done(success: [Int64], fail: [ProductFailure])
    }

    /// Approves every product of `paymentId`; products approved before are refused with
    /// ``alreadyApprovedReason``.
    public mutating func approve(paymentId: Int64) -> ApproveResult {
        approveCounts[paymentId, default: 0] += 1
        guard let products = Self.products(of: paymentId) else { return .paymentNotFound }
        var done = approved[paymentId] ?? []
        var success: [Int64] = []
        var fail: [ProductFailure] = []
        for product in products {
            if done.contains(product) {
                fail.append(ProductFailure(productId: product, reason: Self.alreadyApprovedReason))
            } else {
                done.insert(product)
                success.append(product)
            }
        }
        approved[paymentId] = done
        return .done(success: success, fail: fail)
    }

    /// The approval report of `paymentId`: approved and not approved product ids, or `nil` when
    /// the payment does not exist.
    public func report(paymentId: Int64) -> (approved: [Int64], notApproved: [Int64])? {
        guard let products = Self.products(of: paymentId) else { return nil }
        let done = approved[paymentId] ?? []
        return (products.filter { done.contains($0) }, products.filter { !done.contains($0) })
    }
}
