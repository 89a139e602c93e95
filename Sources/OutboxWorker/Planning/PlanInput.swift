import OutboxModel
import OutboxStore

/// What the dispatcher may do now, as far as Paywall's availability goes.
public enum BreakerView: Sendable, Hashable {
    /// Paywall answers: send.
    case closed
    /// This command is the one probe allowed after a pause: send it.
    case probing
    /// Dispatch is paused until `until` because of `reason`.
    case open(until: EpochMillis, reason: String)
}

/// Everything the planner looks at for one claimed command. Built by the dispatcher from the
/// database; the planner itself does no I/O.
public struct PlanInput: Sendable, Hashable {
    /// The command, as claimed.
    public var command: OutboxCommand
    /// For a follow-up: its sale, if it is in this outbox.
    public var sale: OutboxCommand?
    /// For a sale: its unfinished cancels and sale rollbacks (they may revoke it).
    /// For a cancel rollback: the cancels of the same payment.
    public var related: [OutboxCommand]
    /// Now.
    public var now: EpochMillis
    /// The circuit breaker.
    public var breaker: BreakerView
    /// This worker's lease owner name (to tell its own claims from other workers').
    public var owner: String

    /// Creates an input.
    public init(
        command: OutboxCommand, sale: OutboxCommand? = nil, related: [OutboxCommand] = [], now: EpochMillis,
        breaker: BreakerView = .closed, owner: String = "test-worker"
    ) {
        self.command = command
        self.sale = sale
        self.related = related
        self.now = now
        self.breaker = breaker
        self.owner = owner
    }
}

/// What to do with a claimed command now.
public enum PlanDecision: Sendable, Hashable {
    /// Send it; follow-ups carry their payment's PaymentRequestId.
    case send(paymentRequestId: String?)
    /// A sale whose earlier send may have reached Paywall: look it up by MerchantUniqueCode,
    /// record it if found, resend with the same MerchantUniqueCode if not.
    case reconcileSale
    /// A rollback whose window opened at `windowOpenedAt`: ask Paywall for the status of the
    /// activity it revokes (the sale, or the cancel) and decide with ``RollbackDecision``; send
    /// only when the activity is not taken.
    case inquireBeforeRollback(paymentRequestId: String, windowOpenedAt: EpochMillis)
    /// Put it back, due at `until`; `reason` goes to `last_error` (it starts with "waiting:").
    case wait(until: EpochMillis, reason: String)
    /// End it without calling Paywall.
    case finish(InboxOutcome)
    /// End it and these unsent commands `revoked` together, without calling Paywall.
    case revokeLocally(others: [Int64])
}
