import OutboxModel
import OutboxStore
import PaywallClient

/// What a failed read (a payment inquiry or activities read before a rollback) does to the
/// command. Pure.
///
/// - Connectivity (unreachable, refused): pause dispatch; spends nothing (offline first).
/// - Anything else (429, 503, 500, an unreadable answer): look again with backoff, spending one
///   attempt, so the loop is bounded by the same `maxAttempts` and `maxAgeMillis` as sends. When
///   the budget is spent the command ends `dead`: `outcome_unknown` if an earlier send may have
///   landed, else `attempts_exhausted` / `too_old`. Never `failed`: nothing proves it.
public struct ReadFailureRule: Sendable {
    /// The configuration (budget, backoff).
    public var configuration: WorkerConfiguration

    /// Creates the rule.
    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
    }

    /// The decision: the command's next state, whether the read spends an attempt, the breaker signal.
    public struct Decision: Sendable, Hashable {
        public var next: CommandUpdate.Next
        public var counts: Bool
        public var breaker: BreakerSignal?
    }

    /// Decides for `command` after `outcome` of reading `what`, at `now`.
    public func decide(command: OutboxCommand, outcome: PaywallOutcome, what: String, now: EpochMillis, jitter: Double)
        -> Decision
    {
        let why = "\(what): \(outcome)"
        // Paywall unreachable (unavailable, or a transient failure at the transport level):
        // pause, spend nothing.
        let unreachable: PaywallProblem?
        switch outcome {
        case .unavailable(let problem): unreachable = problem
        case .transient(_, let problem) where problem.code == .transport: unreachable = problem
        default: unreachable = nil
        }
        if let problem = unreachable {
            return Decision(
                next: .reschedule(
                    dueAt: configuration.pausedDue(command, now + configuration.breakerBackoff.baseMillis),
                    needsReconcile: command.needsReconcile,
                    lastError: why),
                counts: false, breaker: .unavailable(reason: "\(problem)"))
        }
        let breaker: BreakerSignal? = outcome.answer != nil ? .reachable : nil
        if case .transient(let retryAfter?, _) = outcome, now - command.createdAt < configuration.maxAgeMillis {
            // Throttled: Paywall said when; that spends no attempt.
            return Decision(
                next: .reschedule(
                    dueAt: now + max(1_000, retryAfter.components.seconds * 1000), needsReconcile: command.needsReconcile,
                    lastError: why),
                counts: false, breaker: breaker)
        }
        let attemptsAfter = command.attempts + 1
        if configuration.budgetSpent(attemptsAfter: attemptsAfter, createdAt: command.createdAt, now: now) {
            let reason: InboxReason =
                command.needsReconcile
                ? .outcomeUnknown : attemptsAfter >= configuration.maxAttempts ? .attemptsExhausted : .tooOld
            let message =
                command.needsReconcile
                ? "an earlier send may have reached Paywall and it could not be confirmed (\(why)): check at Paywall"
                : "gave up reading the payment before sending (\(why))"
            return Decision(next: .finish(InboxOutcome(.dead, reason: reason, message: message)), counts: true, breaker: breaker)
        }
        // (A throttled read returned above, or is past the age limit and ended dead.)
        let wait = max(configuration.reconcileDelayMillis, configuration.backoff.delay(attempt: attemptsAfter, unit: jitter))
        return Decision(
            next: .reschedule(dueAt: now + wait, needsReconcile: command.needsReconcile, lastError: why), counts: true,
            breaker: breaker)
    }
}
