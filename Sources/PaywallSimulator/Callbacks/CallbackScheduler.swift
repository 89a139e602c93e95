/// Decides when each callback is posted, as a value: drops, duplicates and per-payment holds
/// (``CallbackDeliverySettings``). No I/O and no clock of its own: times are passed in
/// (monotonic milliseconds), so it is tested step by step.
struct CallbackScheduler: Sendable {
    /// What to do with one new callback.
    struct Decision: Sendable, Hashable {
        /// Post these now, in order.
        var post: [CallbackDelivery]
        /// Lost on purpose (never posted).
        var dropped: Bool
    }

    private struct Hold: Sendable, Hashable {
        var deliveries: [CallbackDelivery]
        var since: Int64
    }

    var settings: CallbackDeliverySettings
    private var random: SplitMix64
    private var holds: [String: Hold] = [:]

    init(seed: UInt64, settings: CallbackDeliverySettings = CallbackDeliverySettings()) {
        self.settings = settings
        // A stream of its own, so drops do not shift the fault sequence or the generated ids.
        self.random = SplitMix64(seed: seed ^ 0xCA11_BAC4_CA11_BAC4)
    }

    /// A new callback of payment `paymentRequestId`; `final` when its activity reached 4, 5 or 12.
    mutating func add(_ delivery: CallbackDelivery, paymentRequestId: String, final: Bool, now: Int64) -> Decision {
        // One draw per callback whatever the rate, so changing the rate keeps the sequence.
        let draw = random.nextUnitInterval()
        if draw < settings.dropRate { return Decision(post: [], dropped: true) }
        switch settings.order {
        case .inOrder:
            return Decision(post: copies(delivery), dropped: false)
        case .reversed:
            var hold = holds[paymentRequestId] ?? Hold(deliveries: [], since: now)
            hold.deliveries.append(delivery)
            guard final else {
                holds[paymentRequestId] = hold
                return Decision(post: [], dropped: false)
            }
            holds[paymentRequestId] = nil
            return Decision(post: release(hold), dropped: false)
        }
    }

    /// The held callbacks whose hold has lasted ``CallbackDeliverySettings/holdMillis`` by `now`,
    /// each payment's newest first (payments in the order their hold began).
    mutating func due(now: Int64) -> [CallbackDelivery] {
        let expired = holds.filter { now - $0.value.since >= settings.holdMillis }
            .sorted { ($0.value.since, $0.key) < ($1.value.since, $1.key) }
        for (id, _) in expired { holds[id] = nil }
        return expired.flatMap { release($0.value) }
    }

    /// Every held callback, now (each payment's newest first).
    mutating func releaseAll() -> [CallbackDelivery] {
        let all = holds.sorted { ($0.value.since, $0.key) < ($1.value.since, $1.key) }
        holds = [:]
        return all.flatMap { release($0.value) }
    }

    /// How many callbacks are held back.
    var heldCount: Int { holds.values.reduce(0) { $0 + $1.deliveries.count } }

    private func release(_ hold: Hold) -> [CallbackDelivery] {
        hold.deliveries.reversed().flatMap(copies)
    }

    private func copies(_ delivery: CallbackDelivery) -> [CallbackDelivery] {
        settings.duplicates ? [delivery, delivery] : [delivery]
    }
}
