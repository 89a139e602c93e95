import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

/// Everything the worker needs to run. Filled from flags, environment variables and an optional
/// file by the `worker` executable; every field is validated before start-up.
public struct WorkerConfiguration: Sendable {
    /// The outbox database.
    public var store: OutboxStoreConfiguration
    /// Paywall addresses, credentials, timeouts, classification rules, status policy.
    public var paywall: PaywallConfiguration
    /// This worker's id (its lease owner name); unique per process.
    public var workerID: String
    /// Commands sent at the same time.
    public var concurrency: Int
    /// How long a claim lasts before another worker may take the command back (ms).
    public var leaseMillis: Int64
    /// Retry backoff for transient failures.
    public var backoff: Backoff
    /// Sends (per generation) after which a command that keeps failing transiently ends `dead`.
    public var maxAttempts: Int
    /// Age after which a command that keeps failing transiently ends `dead` (ms since created_at).
    public var maxAgeMillis: Int64
    /// How long after creation a command may still be delivered, per kind (ms); the row's own
    /// `deadline` wins. A command past its deadline ends `expired` and is never sent.
    public var deadlines: [CommandKind: Int64]
    /// Extra wait after Paywall's 5 s rollback window (ms).
    public var rollbackMarginMillis: Int64
    /// Circuit breaker probing backoff (connectivity and credential failures).
    public var breakerBackoff: Backoff
    /// How long to wait after an unknown outcome before looking the sale up (ms).
    public var reconcileDelayMillis: Int64
    /// How many pages of the payment list to scan when reconciling a sale.
    public var reconcileMaxPages: Int
    /// How long after a send's timeout Paywall may still act on it (ms). A complete payment-list
    /// scan proves a sale absent only when taken this long after the last send's request
    /// timeout ran out (our choice: Paywall's docs say nothing of late processing).
    public var landingGraceMillis: Int64 = 30_000
    /// How far Paywall's clock, and the producer's, may differ from ours (ms): a scan's date
    /// range must start this much before the first send.
    public var clockSkewMarginMillis: Int64 = 300_000
    /// The `pageIndex` of the payment list's first page. Paywall's docs do not say whether it
    /// counts from 0 or 1 (an open question); the simulator counts from 0.
    public var reconcileFirstPageIndex: Int = 0
    /// How long in-flight sends may take to finish on shutdown before they are cancelled (ms).
    public var shutdownGraceMillis: Int64
    /// The idle poll interval: how often the worker looks for due retries and expired leases
    /// when nothing wakes it (ms). New rows wake it at once through file notifications.
    public var idlePollMillis: Int64
    /// Checkpoint interval, WAL truncation and the WAL warning threshold (``StorageWatch``).
    public var storage = StorageWatch.Policy()
    /// Following accepted sales and cancels to their final payment status (``FollowRule``).
    public var follow = PaymentFollowPolicy()

    /// The Paywall rollback window: a revoke is refused in the first 5 s after the command.
    public static let paywallRollbackWindowMillis: Int64 = 5_000

    /// Default delivery deadlines: sales 3 minutes (the customer is at the till), follow-ups 10
    /// minutes, pairing 10 minutes, marketplace approvals 7 days.
    public static let defaultDeadlines: [CommandKind: Int64] = [
        .asyncSale: 180_000, .syncSale: 180_000,
        .asyncCancel: 600_000, .syncCancel: 600_000, .syncSaleRollback: 600_000, .syncCancelRollback: 600_000,
        .asyncPairRequest: 600_000, .asyncPairConfirm: 600_000, .syncPairRequest: 600_000,
        .marketplaceApprove: 7 * 24 * 3_600_000,
    ]

    /// Creates a configuration with the documented defaults.
    public init(
        store: OutboxStoreConfiguration, paywall: PaywallConfiguration, workerID: String, concurrency: Int = 8,
        leaseMillis: Int64 = 60_000, backoff: Backoff = Backoff(baseMillis: 500, factor: 2, capMillis: 60_000),
        maxAttempts: Int = 10, maxAgeMillis: Int64 = 24 * 3_600_000, deadlines: [CommandKind: Int64] = defaultDeadlines,
        rollbackMarginMillis: Int64 = 1_500, breakerBackoff: Backoff = Backoff(baseMillis: 1_000, factor: 2, capMillis: 60_000),
        reconcileDelayMillis: Int64 = 2_000, reconcileMaxPages: Int = 20, shutdownGraceMillis: Int64 = 10_000,
        idlePollMillis: Int64 = 500
    ) {
        self.store = store
        self.paywall = paywall
        self.workerID = workerID
        self.concurrency = concurrency
        self.leaseMillis = leaseMillis
        self.backoff = backoff
        self.maxAttempts = maxAttempts
        self.maxAgeMillis = maxAgeMillis
        self.deadlines = deadlines
        self.rollbackMarginMillis = rollbackMarginMillis
        self.breakerBackoff = breakerBackoff
        self.reconcileDelayMillis = reconcileDelayMillis
        self.reconcileMaxPages = reconcileMaxPages
        self.shutdownGraceMillis = shutdownGraceMillis
        self.idlePollMillis = idlePollMillis
    }

    /// Whether a command created at `createdAt` has spent its retry budget once it has made
    /// `attemptsAfter` attempts: `maxAttempts` reached, or `maxAgeMillis` old at `now`.
    public func budgetSpent(attemptsAfter: Int, createdAt: EpochMillis, now: EpochMillis) -> Bool {
        attemptsAfter >= maxAttempts || now - createdAt >= maxAgeMillis
    }

    /// When a command held back by a pause should be looked at again: `proposed`, but no later
    /// than just after its deadline if it was never sent, so that it ends `expired` when its
    /// deadline passes even while Paywall stays unreachable (issue 9, item 9).
    public func pausedDue(_ command: OutboxCommand, _ proposed: EpochMillis) -> EpochMillis {
        guard !command.needsReconcile, let deadline = deadline(of: command), deadline < .max else { return proposed }
        return min(proposed, deadline + 1)
    }

    /// The deadline that applies to `command` (ms since the epoch): its own, else its kind's
    /// default counted from `created_at` (nil: none for this kind).
    public func deadline(of command: OutboxCommand) -> EpochMillis? {
        if let deadline = command.deadline { return deadline }
        guard let kind = command.kind, let limit = deadlines[kind] else { return nil }
        // Saturating: no stored or configured value can make this trap.
        let (sum, overflow) = command.createdAt.addingReportingOverflow(limit)
        return overflow ? .max : sum
    }
}

/// Exponential backoff with full jitter: attempt n waits a uniformly random time in
/// [0, min(cap, base × factor^(n-1))].
public struct Backoff: Sendable, Hashable {
    /// The first ceiling (ms).
    public var baseMillis: Int64
    /// Growth per attempt.
    public var factor: Double
    /// The largest ceiling (ms).
    public var capMillis: Int64

    /// Creates a backoff.
    public init(baseMillis: Int64, factor: Double, capMillis: Int64) {
        self.baseMillis = baseMillis
        self.factor = factor
        self.capMillis = capMillis
    }

    /// The ceiling for attempt `attempt` (1-based).
    public func ceiling(attempt: Int) -> Int64 {
        let exponent = Double(max(attempt, 1) - 1)
        let raw = Double(baseMillis) * pow(factor, exponent)
        return raw.isFinite ? min(capMillis, Int64(min(raw, Double(capMillis)))) : capMillis
    }

    /// The delay for attempt `attempt`, with `unit` a uniform random number in [0, 1).
    public func delay(attempt: Int, unit: Double) -> Int64 {
        Int64((Double(ceiling(attempt: attempt)) * min(max(unit, 0), 1)).rounded(.down))
    }
}
