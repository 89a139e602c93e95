import OutboxModel
import OutboxStore

/// How the worker follows accepted payments to their final status (``FollowRule``).
///
/// Paywall's docs say nothing of how long a device may take (a push-notified terminal may wake
/// hours later) nor how often one may ask: our defaults read the activities list 2 s after the
/// command, then back off by doubling to 5 minutes, for at most a day per activity.
public struct PaymentFollowPolicy: Sendable, Hashable {
    /// Whether accepted sales and cancels are followed at all.
    public var enabled: Bool
    /// The wait before the first read, and the first backoff step (ms).
    public var firstIntervalMillis: Int64
    /// The largest backoff step (ms).
    public var capMillis: Int64
    /// How long an activity is followed without reaching a final status (ms from the command's
    /// outcome), per activity; past it the inbox gets an `unresolved` row.
    public var horizons: [FollowedActivity: Int64]
    /// At most this many reads at once; `nil`: a quarter of the worker's concurrency, at least 1.
    /// Reads never take a command's place: they use their own slots.
    public var maxConcurrentReads: Int?

    /// The documented defaults: 2 s, doubling to 5 min, a day for sales and cancels.
    public init(
        enabled: Bool = true, firstIntervalMillis: Int64 = 2_000, capMillis: Int64 = 300_000,
        horizons: [FollowedActivity: Int64] = [.sale: 86_400_000, .cancel: 86_400_000], maxConcurrentReads: Int? = nil
    ) {
        self.enabled = enabled
        self.firstIntervalMillis = firstIntervalMillis
        self.capMillis = capMillis
        self.horizons = horizons
        self.maxConcurrentReads = maxConcurrentReads
    }

    /// The read slots for a worker sending `concurrency` commands at once.
    public func readSlots(concurrency: Int) -> Int {
        max(1, maxConcurrentReads ?? concurrency / 4)
    }

    /// The step after `interval`: doubled, at most the cap, at least the first step.
    public func nextInterval(after interval: Int64) -> Int64 {
        let doubled = interval > capMillis / 2 ? capMillis : interval * 2
        return min(capMillis, max(firstIntervalMillis, doubled))
    }
}
