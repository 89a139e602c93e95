/// How many sale requests carried one MerchantUniqueCode. The worker's tests use it to prove a
/// sale never reached Paywall twice.
public struct SaleRequestCount: Sendable, Hashable, Codable {
    /// Sale requests received with this code, whatever happened to them (faulted, refused...).
    public var received: Int = 0
    /// Those that reached the payment book (authorized, valid, not faulted away): accepted
    /// plus refused as duplicates.
    public var processed: Int = 0
    /// Those that created a payment (at most 1).
    public var accepted: Int = 0

    /// Creates a count.
    public init(received: Int = 0, processed: Int = 0, accepted: Int = 0) {
        self.received = received
        self.processed = processed
        self.accepted = accepted
    }
}
