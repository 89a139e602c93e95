import OutboxModel
import OutboxStore
import PaywallClient
import Testing

@testable import OutboxWorker

@Suite("Interpreter: what an outcome does to the command")
struct OutcomeInterpreterTests {
    let interpreter = OutcomeInterpreter(configuration: testConfiguration())

    func answer(_ body: String, status: Int = 200) -> PaywallAnswer {
        PaywallAnswer(response: PaywallHTTPResponse(status: status, text: body))
    }

    func interpret(_ outcome: PaywallOutcome, _ claimed: OutboxCommand, now: EpochMillis = t0 + 100, jitter: Double = 0.5)
        -> Interpretation
    {
        interpreter.interpret(outcome, command: claimed, owner: "w", startedAt: t0, now: now, jitter: jitter)
    }

    static let refused = PaywallProblem(code: .transport, transportError: PaywallTransportError(code: .connectionRefused, detail: "refused"))
    static let timeout = PaywallProblem(code: .transport, transportError: PaywallTransportError(code: .readTimeout, detail: "read"))

    @Test("success finishes the command with Paywall's ids and marks when it was accepted")
    func success() {
        let body = #"{"Result":{"PaymentRequestId":"\#(paymentID)","PaymentStatus":2},"ErrorCode":0,"Succeeded":true}"#
        let result = interpret(.succeeded(answer(body)), command(1, .syncSale))
        #expect(result.update.paywallPaymentRequestId == paymentID && result.update.acceptedAt == t0 + 100)
        #expect(result.update.countsAsAttempt && result.update.attempt?.outcome == "succeeded")
        guard case .finish(let outcome) = result.update.next else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.outcome == .succeeded && outcome.paymentRequestId == paymentID && outcome.rawResponse == body)
        #expect(result.breaker == .reachable)
    }

    @Test("a duplicate MerchantUniqueCode means 'find the first one', never 'failed'")
    func duplicateIsReconciled() {
        let result = interpret(.alreadyDone(.duplicateMerchantUniqueCode, answer(#"{"ErrorCode":119,"Succeeded":false}"#)), command(1, .asyncSale, needsReconcile: true))
        // attempt 1 → backoff ≤ 1 s, so the reconcile delay (2 s) applies: no tight loop.
        #expect(result.update.next == .reschedule(dueAt: t0 + 100 + 2_000, needsReconcile: true, lastError: "duplicate MerchantUniqueCode: Paywall has this sale; reconciling"))
        let later = interpret(.alreadyDone(.duplicateMerchantUniqueCode, answer(#"{"ErrorCode":119}"#)), command(1, .asyncSale, attempts: 4, needsReconcile: true), jitter: 0.999)
        guard case .reschedule(let due, true, _) = later.update.next else {
            Issue.record("a duplicate never ends the sale")
            return
        }
        #expect(due == t0 + 100 + 15_984)
    }

    @Test("'already cancelled' / 'already approved' on a resend is success")
    func alreadyDoneIsSuccess() {
        for reason in [AlreadyDoneReason.alreadyCancelled, .alreadyApproved] {
            guard case .finish(let outcome) = interpret(.alreadyDone(reason, answer(#"{"ErrorCode":1}"#)), command(1, .asyncCancel, paymentRequestId: paymentID)).update.next else {
                Issue.record("expected finish")
                continue
            }
            #expect(outcome.outcome == .succeeded && outcome.reason == .alreadyDone(reason.rawValue) && outcome.reason?.rawValue == "already_done:\(reason.rawValue)")
        }
    }

    @Test("transient failures back off with full jitter and spend an attempt; a Retry-After is honoured and spends none")
    func transientBackoff() {
        let throttled = PaywallProblem(code: .throttled)
        // attempt 1 → ceiling 1 s; jitter 0.5 → 500 ms
        #expect(interpret(.transient(retryAfter: nil, throttled), command(1, .asyncSale), jitter: 0.5).update.next
            == .reschedule(dueAt: t0 + 100 + 500, needsReconcile: false, lastError: "\(throttled)"))
        // attempt 3 → ceiling 4 s
        #expect(interpret(.transient(retryAfter: nil, throttled), command(1, .asyncSale, attempts: 2), jitter: 0.999).update.next
            == .reschedule(dueAt: t0 + 100 + 3_996, needsReconcile: false, lastError: "\(throttled)"))
        // Retry-After wins when longer.
        let result = interpret(.transient(retryAfter: .seconds(30), throttled), command(1, .asyncSale), jitter: 0.5)
        #expect(result.update.next == .reschedule(dueAt: t0 + 100 + 30_000, needsReconcile: false, lastError: "\(throttled)"))
        #expect(!result.update.countsAsAttempt, "throttling spends no attempt (issue 9, item 7)")
        #expect(interpret(.transient(retryAfter: nil, throttled), command(1, .asyncSale), jitter: 0.5).update.countsAsAttempt)
        // Throttled at the last attempt of the budget: not dead, waits.
        let last = interpret(.transient(retryAfter: .seconds(2), throttled), command(1, .asyncSale, attempts: 4), jitter: 0.5)
        guard case .reschedule(let due, false, _) = last.update.next else {
            Issue.record("a throttled command is never given up by attempts: \(last.update.next)")
            return
        }
        #expect(due >= t0 + 100 + 2_000)
    }

    @Test("the retry budget ends a transiently failing command dead, by attempts or by age")
    func giveUp() {
        let throttled = PaywallProblem(code: .throttled)
        guard case .finish(let byAttempts) = interpret(.transient(retryAfter: nil, throttled), command(1, .asyncSale, attempts: 4)).update.next else {
            Issue.record("expected dead after max attempts")
            return
        }
        #expect(byAttempts.outcome == .dead && byAttempts.reason == .attemptsExhausted)
        guard case .finish(let byAge) = interpret(.transient(retryAfter: nil, throttled), command(1, .marketplaceApprove), now: t0 + 3_600_000).update.next else {
            Issue.record("expected dead at max age")
            return
        }
        #expect(byAge.reason == .tooOld)
    }

    @Test("connectivity and credential failures pause dispatch and spend no attempt")
    func connectivityPauses() {
        let credentials = PaywallProblem(code: .credentialsRefused)
        for outcome in [PaywallOutcome.transient(retryAfter: nil, Self.refused), .unavailable(credentials)] {
            let result = interpret(outcome, command(1, .asyncSale, attempts: 4))
            #expect(!result.update.countsAsAttempt, "\(outcome)")
            guard case .reschedule = result.update.next, case .unavailable = result.breaker else {
                Issue.record("expected a pause without finishing: \(outcome)")
                continue
            }
        }
    }

    @Test("an unknown outcome is never a failure: the command is marked for reconciliation")
    func unknownOutcome() {
        let result = interpret(.outcomeUnknown(Self.timeout), command(1, .syncSale, attempts: 40))
        guard case .reschedule(let due, let reconcile, _) = result.update.next else {
            Issue.record("a sale with an unknown outcome must never finish")
            return
        }
        #expect(reconcile && due >= t0 + 100 + 2_000)
        // Other kinds give up after the budget, as 'dead: outcome_unknown', still never 'failed'.
        guard case .finish(let outcome) = interpret(.outcomeUnknown(Self.timeout), command(1, .marketplaceApprove, attempts: 4)).update.next else {
            Issue.record("expected dead")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown)
    }

    @Test("a rejection fails the command with Paywall's words verbatim; a rollback refusal is 'not revocable'")
    func rejection() {
        let body = #"{"ErrorCode":57,"Succeeded":false,"Failed":true,"Message":"Terminal not paired","ClientMessage":"TERMINAL_NOT_PAIRED"}"#
        guard case .finish(let outcome) = interpret(.rejected(answer(body)), command(1, .asyncSale)).update.next else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.outcome == .failed && outcome.reason == .rejected)
        #expect(outcome.errorCode == 57 && outcome.message == "Terminal not paired" && outcome.clientMessage == "TERMINAL_NOT_PAIRED")
        guard case .finish(let rollback) = interpret(.rejected(answer(body)), command(2, .syncSaleRollback, paymentRequestId: paymentID)).update.next else {
            Issue.record("expected finish")
            return
        }
        #expect(rollback.reason == .notRevocable)
    }

    @Test("a refused resend of a sale whose first send is unconfirmed keeps reconciling, then ends 'dead: outcome_unknown', never 'failed'")
    func refusedResendWhileReconciling() {
        let body = #"{"ErrorCode":999,"Succeeded":false,"Message":"?"}"#
        guard case .reschedule(_, true, _) = interpret(.rejected(answer(body)), command(1, .asyncSale, attempts: 1, needsReconcile: true)).update.next else {
            Issue.record("expected to keep reconciling")
            return
        }
        guard case .finish(let outcome) = interpret(.rejected(answer(body)), command(1, .asyncSale, attempts: 4, needsReconcile: true)).update.next else {
            Issue.record("expected dead")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown)
    }

    @Test("a command that fails validation ends failed with the field named and spends no attempt")
    func validation() {
        let error = PaywallClient.ValidationError(code: .tooLong, field: "DisplayCode", description: "longer than 25 characters")
        let result = interpret(.invalid(error), command(1, .asyncSale))
        #expect(!result.update.countsAsAttempt)
        guard case .finish(let outcome) = result.update.next else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.outcome == .failed && outcome.reason == .validation && outcome.message?.hasPrefix("DisplayCode:") == true)
    }

    @Test("a command whose earlier send may have landed and that fails validation now ends dead, never failed")
    func validationAfterAPossibleSend() {
        let error = PaywallClient.ValidationError(code: .tooLong, field: "DisplayCode", description: "longer than 25 characters")
        let result = interpret(.invalid(error), command(1, .asyncCancel, paymentRequestId: paymentID, needsReconcile: true))
        guard case .finish(let outcome) = result.update.next else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown, "\(outcome)")
        #expect(outcome.message?.contains("DisplayCode") == true)
    }
}

@Suite("Breaker: pausing dispatch")
struct CircuitBreakerTests {
    @Test("unavailable opens it; it allows one probe when the pause ends; a reachable answer closes it")
    func lifecycle() {
        var breaker = CircuitBreaker(backoff: Backoff(baseMillis: 1_000, factor: 2, capMillis: 8_000))
        #expect(breaker.allowance(now: t0) == .any)
        breaker.record(.unavailable(reason: "refused"), now: t0, jitter: 0)
        // Never shorter than a quarter of the ceiling.
        #expect(breaker.allowance(now: t0 + 249) == .none(until: t0 + 250))
        #expect(breaker.allowance(now: t0 + 250) == .probe)
        breaker.probeStarted()
        guard case .none = breaker.allowance(now: t0 + 300) else {
            Issue.record("a second probe must wait for the first")
            return
        }
        breaker.record(.unavailable(reason: "refused"), now: t0 + 400, jitter: 1)
        #expect(breaker.allowance(now: t0 + 400 + 1_999) == .none(until: t0 + 400 + 2_000))
        breaker.record(.reachable, now: t0 + 2_500, jitter: 0)
        // Resumed, with the ramp (BreakerRampAndSharingTests) before full concurrency.
        #expect(breaker.allowance(now: t0 + 2_500) == .limited(CircuitBreaker.Ramp().inFlight))
        #expect(breaker.view == .closed)
    }

    @Test("each failed probe doubles the pause, up to its cap and no further")
    func capped() {
        var breaker = CircuitBreaker(backoff: Backoff(baseMillis: 1_000, factor: 2, capMillis: 8_000))
        var now = t0
        breaker.record(.unavailable(reason: "x"), now: now, jitter: 1)
        var pauses: [Int64] = []
        for _ in 0..<6 {
            guard case .none(let until) = breaker.allowance(now: now) else {
                Issue.record("expected a pause")
                return
            }
            pauses.append(until - now)
            now = until
            #expect(breaker.allowance(now: now) == .probe)
            breaker.probeStarted()
            breaker.record(.unavailable(reason: "x"), now: now, jitter: 1)
        }
        #expect(pauses == [1_000, 2_000, 4_000, 8_000, 8_000, 8_000])
    }

    @Test("failures of the sends already in flight when the pause began do not lengthen it")
    func inFlightFailuresAreOneOutage() {
        var breaker = CircuitBreaker(backoff: Backoff(baseMillis: 1_000, factor: 2, capMillis: 60_000))
        breaker.record(.unavailable(reason: "connection closed"), now: t0, jitter: 1)
        // Seven more of the eight sends in flight fail a moment later.
        for offset in 1...7 { breaker.record(.unavailable(reason: "connection closed"), now: t0 + Int64(offset), jitter: 1) }
        #expect(breaker.allowance(now: t0 + 10) == .none(until: t0 + 1_000), "the first probe stays 1 s out")
        #expect(breaker.allowance(now: t0 + 1_000) == .probe)
    }
}
