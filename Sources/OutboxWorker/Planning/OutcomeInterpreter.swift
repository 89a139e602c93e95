import OutboxModel
import OutboxStore
import PaywallClient

/// What an outcome means for the circuit breaker.
public enum BreakerSignal: Sendable, Hashable {
    /// Paywall answered: it is reachable and accepts our credentials.
    case reachable
    /// A fact about the world (connectivity, credentials): pause dispatch.
    case unavailable(reason: String)
}

/// The update to record for a send, and what it says about Paywall's availability.
public struct Interpretation: Sendable, Hashable {
    /// The command's next state, with its attempt row.
    public var update: CommandUpdate
    /// For the breaker, when the outcome says anything about Paywall as a whole.
    public var breaker: BreakerSignal?
}

/// Turns one Paywall outcome into the command's next state. Pure: the clock and the random
/// number for jitter are inputs.
public struct OutcomeInterpreter: Sendable {
    /// The configuration (retry budget, backoff, reconcile delay).
    public var configuration: WorkerConfiguration

    /// Creates an interpreter.
    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
    }

    /// Interprets the outcome of sending `command` (attempt started at `startedAt`).
    public func interpret(
        _ outcome: PaywallOutcome, command: OutboxCommand, owner: String, startedAt: EpochMillis, now: EpochMillis,
        jitter: Double
    ) -> Interpretation {
        let attempt = AttemptRecord(
            startedAt: startedAt, durationMillis: now - startedAt, httpStatus: outcome.answer?.httpStatus,
            outcome: outcome.recordName, errorCode: outcome.answer?.errorCode, error: errorText(outcome))
        func update(counts: Bool, learned: PaywallAnswer? = nil, _ next: CommandUpdate.Next) -> CommandUpdate {
            let isSale = command.kind?.role == .sale
            let paymentRequestId = learned?.ids.paymentRequestId
            // Paywall accepted the command at or before `now` (also when a resend found it
            // already done and no id came back): a rollback's 5 s window counts from here, which
            // is never earlier than the real acceptance, so never too early.
            let accepted = learned != nil && (isSale || command.kind?.role == .followUp)
            return CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner), attempt: attempt, countsAsAttempt: counts,
                paywallPaymentRequestId: paymentRequestId,
                acceptedAt: accepted && (paymentRequestId != nil || command.kind?.role == .followUp) ? now : nil,
                next: next)
        }
        let attemptsAfter = command.attempts + 1
        let isSale = command.kind?.role == .sale

        switch outcome {
        case .succeeded(let answer):
            return Interpretation(
                update: update(counts: true, learned: answer, .finish(inboxOutcome(.succeeded, reason: nil, answer))),
                breaker: .reachable)

        case .alreadyDone(.duplicateMerchantUniqueCode, _):
            // Paywall has this MerchantUniqueCode: find the first payment, never fail it.
            return Interpretation(
                update: update(
                    counts: true,
                    .reschedule(
                        dueAt: now + max(
                            configuration.reconcileDelayMillis,
                            configuration.backoff.delay(attempt: attemptsAfter, unit: jitter)),
                        needsReconcile: true,
                        lastError: "duplicate MerchantUniqueCode: Paywall has this sale; reconciling")),
                breaker: .reachable)

        case .alreadyDone(let reason, let answer):
            return Interpretation(
                update: update(
                    counts: true, learned: answer, .finish(inboxOutcome(.succeeded, reason: .alreadyDone(reason.rawValue), answer))),
                breaker: .reachable)

        case .transient(let retryAfter, let problem):
            if problem.code == .transport {
                // Nothing was sent and Paywall could not be reached: a fact about the world.
                return Interpretation(
                    update: update(
                        counts: false,
                        .reschedule(
                            dueAt: configuration.pausedDue(command, now + configuration.breakerBackoff.baseMillis),
                            needsReconcile: command.needsReconcile,
                            lastError: "\(problem)")),
                    breaker: .unavailable(reason: "\(problem)"))
            }
            // Throttling (a Retry-After) spends no attempt: Paywall said when to come back, and
            // the hold it set keeps every request with these credentials until then. The age
            // limit still applies.
            let throttled = retryAfter != nil
            let counted = throttled ? command.attempts : attemptsAfter
            if let giveUp = giveUp(command, attemptsAfter: throttled ? 0 : attemptsAfter, now: now, lastError: "\(problem)") {
                return Interpretation(update: update(counts: !throttled, giveUp), breaker: .reachable)
            }
            let backoff = configuration.backoff.delay(attempt: max(counted, 1), unit: jitter)
            let wait = max(backoff, retryAfter.map(millis) ?? 0)
            return Interpretation(
                update: update(
                    counts: !throttled,
                    .reschedule(dueAt: now + wait, needsReconcile: command.needsReconcile, lastError: "\(problem)")),
                breaker: .reachable)

        case .outcomeUnknown(let problem):
            // The request may have reached Paywall: never fail it, reconcile before any resend.
            if !isSale, attemptsAfter >= configuration.maxAttempts {
                return Interpretation(
                    update: update(
                        counts: true,
                        .finish(
                            InboxOutcome(
                                .dead, reason: .outcomeUnknown,
                                message: "no answer after \(attemptsAfter) attempts; Paywall may have done it: \(problem)"))),
                    breaker: nil)
            }
            let wait = max(configuration.reconcileDelayMillis, configuration.backoff.delay(attempt: attemptsAfter, unit: jitter))
            // A connection that failed after the request left (closed, reset) looks like an
            // outage: pause like a refused connection, so only the sends already in flight are
            // exposed to it (issue 9, item 8). A slow answer (read timeout) says nothing of that.
            return Interpretation(
                update: update(
                    counts: true,
                    .reschedule(dueAt: now + wait, needsReconcile: true, lastError: "outcome unknown: \(problem)")),
                breaker: problem.code == .transport && problem.transportError?.looksLikeOutage == true
                    ? .unavailable(reason: "\(problem)") : nil)

        case .rejected(let answer):
            if isSale && command.needsReconcile {
                // A resend refused while an earlier send's fate is unknown: the refusal may be
                // Paywall's unrecognised way of saying "I have it". Keep reconciling; give up only
                // as "outcome unknown", never as "failed".
                if attemptsAfter >= configuration.maxAttempts {
                    return Interpretation(
                        update: update(
                            counts: true,
                            .finish(
                                inboxOutcome(
                                    .dead, reason: .outcomeUnknown, answer,
                                    message: "Paywall may have this sale; it could not be confirmed: check before charging again"))),
                        breaker: .reachable)
                }
                return Interpretation(
                    update: update(
                        counts: true,
                        .reschedule(
                            dueAt: now + max(configuration.reconcileDelayMillis, configuration.backoff.delay(attempt: attemptsAfter, unit: jitter)),
                            needsReconcile: true, lastError: "resend refused while reconciling: \(answer.summary)")),
                    breaker: .reachable)
            }
            let reason = command.kind == .syncSaleRollback || command.kind == .syncCancelRollback ? InboxReason.notRevocable : .rejected
            return Interpretation(
                update: update(counts: true, .finish(inboxOutcome(.failed, reason: reason, answer))), breaker: .reachable)

        case .unavailable(let problem):
            return Interpretation(
                update: update(
                    counts: false,
                    .reschedule(
                        dueAt: configuration.pausedDue(command, now + configuration.breakerBackoff.baseMillis),
                            needsReconcile: command.needsReconcile,
                        lastError: "\(problem)")),
                breaker: .unavailable(reason: "\(problem)"))

        case .credentialsInDoubt(let answer):
            // Unresolved (the processor probes first, see CredentialProbe): the safe reading is a
            // pause that spends no attempt.
            let problem = PaywallProblem(code: .credentialsRefused, answer: answer)
            return Interpretation(
                update: update(
                    counts: false,
                    .reschedule(
                        dueAt: configuration.pausedDue(command, now + configuration.breakerBackoff.baseMillis),
                            needsReconcile: command.needsReconcile,
                        lastError: "\(problem)")),
                breaker: .unavailable(reason: "\(problem)"))

        case .invalid(let error):
            let what = error.field.isEmpty ? error.description : "\(error.field): \(error.description)"
            // Refused before sending; but if an earlier send may have reached Paywall (a row
            // sent by an older version whose payload this one reads differently), "failed" could
            // hide a payment: dead, for an operator to look up.
            if CommandPhase(command) != .toSend {
                return Interpretation(
                    update: update(
                        counts: false,
                        .finish(
                            InboxOutcome(
                                .dead, reason: .outcomeUnknown,
                                message: "cannot be sent again as it is (\(what)), and an earlier send may have reached "
                                    + "Paywall: look it up before acting"))),
                    breaker: nil)
            }
            return Interpretation(
                update: update(counts: false, .finish(InboxOutcome(.failed, reason: .validation, message: what))),
                breaker: nil)
        }
    }

    /// The `dead` outcome when the retry budget (attempts or age) is spent, else nil.
    func giveUp(_ command: OutboxCommand, attemptsAfter: Int, now: EpochMillis, lastError: String) -> CommandUpdate.Next? {
        if command.needsReconcile && command.kind?.role == .sale { return nil }
        if attemptsAfter >= configuration.maxAttempts {
            return .finish(
                InboxOutcome(.dead, reason: .attemptsExhausted, message: "gave up after \(attemptsAfter) attempts: \(lastError)"))
        }
        if now - command.createdAt >= configuration.maxAgeMillis {
            return .finish(InboxOutcome(.dead, reason: .tooOld, message: "gave up at age limit: \(lastError)"))
        }
        return nil
    }

    func errorText(_ outcome: PaywallOutcome) -> String? {
        switch outcome {
        case .succeeded: nil
        case .alreadyDone(let reason, _): reason.rawValue
        default: outcome.description
        }
    }

    func millis(_ duration: Duration) -> Int64 {
        duration.wholeMilliseconds
    }
}

/// An inbox outcome carrying everything Paywall said.
func inboxOutcome(_ outcome: FinalOutcome, reason: InboxReason?, _ answer: PaywallAnswer, message: String? = nil) -> InboxOutcome {
    InboxOutcome(
        outcome, reason: reason, errorCode: answer.errorCode, message: message ?? answer.message,
        clientMessage: answer.clientMessage, paymentRequestId: answer.ids.paymentRequestId,
        paymentRequestActivityId: answer.ids.paymentRequestActivityId, terminalPairId: answer.ids.terminalPairId,
        paymentStatusId: answer.ids.paymentStatusId, result: answer.result?.serialized(), rawResponse: answer.rawBody,
        httpStatus: answer.httpStatus)
}
