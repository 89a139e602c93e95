import PaywallClient

/// What the callback listener has seen since it started: a snapshot value, read with
/// ``CallbackListener/counters`` (for metrics, `inspect`, tests).
///
/// `received` = `verified` + ``refusedTotal``; `verified` = `recorded` + `duplicate` +
/// `unknownPayment` + `sinkFailed` (once each sink call has returned).
public struct CallbackCounters: Sendable, Hashable {
    /// POSTs on the callback path (each delivery, duplicates included).
    public var received = 0
    /// Bodies whose `Hash` verified.
    public var verified = 0
    /// Bodies refused, by reason.
    public var refused: [CallbackRefusal.Code: Int] = [:]
    /// Verified callbacks the sink recorded as new.
    public var recorded = 0
    /// Verified callbacks the sink had already recorded.
    public var duplicate = 0
    /// Verified callbacks about a payment the sink does not know.
    public var unknownPayment = 0
    /// Verified callbacks the sink could not take (it threw; answered 503).
    public var sinkFailed = 0
    /// Requests for anything but POST on the callback path (answered 404 or 405).
    public var notServed = 0

    /// Creates counters (all zero).
    public init() {}

    /// Every refusal, all reasons together.
    public var refusedTotal: Int { refused.values.reduce(0, +) }

    /// The count of one refusal reason.
    public func refused(_ code: CallbackRefusal.Code) -> Int { refused[code] ?? 0 }

    mutating func count(_ disposition: CallbackDisposition) {
        switch disposition {
        case .recorded: recorded += 1
        case .duplicate: duplicate += 1
        case .unknownPayment: unknownPayment += 1
        }
    }
}
