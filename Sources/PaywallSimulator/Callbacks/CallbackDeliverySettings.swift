/// How the simulator delivers callbacks, beyond the one-attempt default: lost, duplicated,
/// reordered, or signed as another key type (for receivers' tests: idempotency, ordering, key
/// rotation). Changed at run time with ``PaywallSimulator/setCallbackDelivery(_:)`` or
/// `POST /_sim/callbacks/settings`. Paywall documents none of this (API-NOTES S6: retries,
/// ordering and duplicates unknown), so a receiver must survive all of it.
public struct CallbackDeliverySettings: Sendable, Hashable, Codable {
    /// Share (0...1) of callbacks lost: never posted (recorded in the callback log as dropped).
    /// Decided per callback by a generator seeded from the simulator's seed.
    public var dropRate: Double
    /// Post every callback twice, back to back.
    public var duplicates: Bool
    /// In what order a payment's callbacks are posted.
    public var order: CallbackOrder
    /// With ``CallbackOrder/reversed``: how long (real time, milliseconds) a payment's callbacks
    /// are held back at most when its activity does not reach a final status.
    public var holdMillis: Int64
    /// The `HashKeyType` written in callbacks (7 = Physical POS webhook key).
    public var hashKeyType: Int

    /// Creates settings; the defaults post every callback once, in order, as key type 7.
    public init(
        dropRate: Double = 0, duplicates: Bool = false, order: CallbackOrder = .inOrder, holdMillis: Int64 = 2_000,
        hashKeyType: Int = 7
    ) {
        self.dropRate = dropRate
        self.duplicates = duplicates
        self.order = order
        self.holdMillis = holdMillis
        self.hashKeyType = hashKeyType
    }

    /// Why the settings are unusable, or `nil`.
    public var problem: String? {
        if !(dropRate >= 0 && dropRate <= 1) { return "dropRate must be between 0 and 1" }
        if holdMillis < 0 || holdMillis > 3_600_000 { return "holdMillis must be from 0 to 3600000" }
        if hashKeyType < 0 { return "hashKeyType must not be negative" }
        return nil
    }
}

/// The order in which the simulator posts a payment's callbacks.
public enum CallbackOrder: String, Sendable, Hashable, Codable, CaseIterable {
    /// As the statuses happen.
    case inOrder = "in_order"
    /// Held back per payment until its activity reaches a final status (4, 5, 12) or
    /// ``CallbackDeliverySettings/holdMillis`` passes, then posted newest first: the final status
    /// arrives before the ones that led to it.
    case reversed
}
