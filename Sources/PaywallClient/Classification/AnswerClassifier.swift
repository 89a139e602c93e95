import OutboxModel

/// What came back from one send: an HTTP answer or a transport failure.
public enum PaywallExchange: Sendable, Hashable {
    /// Paywall (or something at its address) answered.
    case response(PaywallHTTPResponse)
    /// No HTTP answer.
    case failure(PaywallTransportError)
}

/// The one place that turns an exchange into a ``PaywallOutcome``. Pure: no I/O, time is an
/// argument. The rules, in order (docs/paywall-client.md, "Classification"):
///
/// 1. Transport failures: nothing sent and connectivity (refused, connect timeout) →
///    transient; DNS, TLS, unreachable, bad URL → unavailable; may have been sent → outcome
///    unknown (reads: transient).
/// 2. `System.AuthError` in a Physical envelope (any HTTP status, a 200 too), or HTTP 401/403 →
///    unavailable (pause, no attempt spent). 3xx, or 404/405 without a Paywall envelope →
///    unavailable.
/// 3. HTTP 408, 429, 503 → transient with Retry-After.
/// 4. Marketplace approve: every `Fail` reason "already approved" → already done.
/// 5. A Physical failure carrying one of Paywall's documented strings (``PhysicalError``, in
///    `ClientMessage`, `ErrorCode` or `Message`) → its ``PhysicalError/treatment``.
/// 6. A failure envelope that matches a configured "already done" rule of the endpoint →
///    already done (numeric codes count only for the PaymentAPI, whose table documents them).
/// 7. Other 5xx → outcome unknown for endpoints that may move money, transient otherwise.
/// 8. An envelope that clearly failed → retry-later rule → transient; otherwise rejected.
///    An envelope that clearly succeeded on 2xx → succeeded (a sale without a
///    PaymentRequestId → outcome unknown). Contradictory or missing
///    signals → outcome unknown (reads: transient).
/// 9. 2xx without an envelope → outcome unknown (reads: transient); 409 without an envelope
///    → outcome unknown; other 4xx without an envelope → rejected.
public struct AnswerClassifier: Sendable {
    /// The configurable "already done" / "retry later" answers.
    public var rules: ClassificationRules

    /// Creates a classifier.
    public init(rules: ClassificationRules = .default) {
        self.rules = rules
    }

    /// Classifies one exchange for `endpoint` at time `now` (for HTTP-date Retry-After).
    public func classify(_ exchange: PaywallExchange, endpoint: PaywallEndpoint, now: EpochMillis) -> PaywallOutcome {
        switch exchange {
        case .failure(let error):
            return classify(error, endpoint: endpoint)
        case .response(let response):
            return classify(response, endpoint: endpoint, now: now)
        }
    }

    private func whenInDoubt(_ endpoint: PaywallEndpoint, _ problem: PaywallProblem) -> PaywallOutcome {
        endpoint.sideEffect == .readOnly ? .transient(retryAfter: nil, problem) : .outcomeUnknown(problem)
    }

    private func classify(_ error: PaywallTransportError, endpoint: PaywallEndpoint) -> PaywallOutcome {
        let problem = PaywallProblem(code: .transport, transportError: error)
        switch error.code {
        case .connectionRefused, .connectTimeout, .notStarted:
            return .transient(retryAfter: nil, problem)
        case .dnsFailure, .tlsFailure, .networkUnreachable, .invalidURL:
            return .unavailable(problem)
        case .readTimeout, .connectionClosed, .deadlineExceeded, .cancelled, .other:
            return whenInDoubt(endpoint, problem)
        }
    }

    private func classify(_ response: PaywallHTTPResponse, endpoint: PaywallEndpoint, now: EpochMillis)
        -> PaywallOutcome
    {
        let answer = PaywallAnswer(response: response)
        let status = response.status
        let retryAfter = RetryAfter.delay(response.headers["Retry-After"], now: now)

        let physicalError = endpoint.api == .physical ? answer.envelope.flatMap(PhysicalError.init(envelope:)) : nil
        if physicalError == .authError {
            return .unavailable(PaywallProblem(code: .credentialsRefused, answer: answer))
        }
        switch status {
        case 401, 403:
            return .unavailable(PaywallProblem(code: .credentialsRefused, answer: answer))
        case 300..<400:
            return .unavailable(PaywallProblem(code: .endpointNotFound, answer: answer))
        case 404 where answer.envelope == nil, 405 where answer.envelope == nil:
            return .unavailable(PaywallProblem(code: .endpointNotFound, answer: answer))
        case 408, 429, 503:
            return .transient(retryAfter: retryAfter, PaywallProblem(code: .throttled, answer: answer))
        default:
            break
        }

        if let envelope = answer.envelope {
            let verdict = envelope.verdict(for: endpoint.api)
            if endpoint.answer == .marketplaceApproval, let approval = answer.marketplaceApproval,
                !approval.failed.isEmpty
            {
                // Every failed product "already approved" → the approval is done (products in
                // Success were approved by this call). Any other failure reason → rejected,
                // unless the status says the server broke.
                let matcher = rules.alreadyDone[.alreadyApproved] ?? .init()
                if approval.failed.allSatisfy({ matcher.matches(messages: [$0.reason]) }) {
                    return .alreadyDone(.alreadyApproved, answer)
                }
            }
            if verdict != .success || !(200..<300).contains(status), let physicalError {
                return classify(physicalError, endpoint: endpoint, answer: answer, retryAfter: retryAfter)
            }
            if verdict == .failure, let reason = alreadyDoneReason(endpoint: endpoint, envelope: envelope) {
                return .alreadyDone(reason, answer)
            }
            if (500..<600).contains(status) {
                return serverError(endpoint: endpoint, answer: answer, retryAfter: retryAfter)
            }
            switch verdict {
            case .success where (200..<300).contains(status):
                if endpoint.answer == .marketplaceApproval, let approval = answer.marketplaceApproval,
                    !approval.failed.isEmpty
                {
                    // Success flags with failed products: partly done. Keep it as rejected so
                    // an operator looks at the failed products.
                    return .rejected(answer)
                }
                if endpoint.requiresPaymentRequestId && answer.ids.paymentRequestId == nil {
                    // "Done" but without the id the worker needs: find the payment by lookup.
                    return .outcomeUnknown(PaywallProblem(code: .ambiguousAnswer, answer: answer))
                }
                return .succeeded(answer)
            case .failure:
                if rules.retryLater.matches(
                    errorCode: endpoint.api == .payment ? envelope.errorCode : nil,
                    messages: [envelope.message, envelope.clientMessage])
                {
                    return .transient(
                        retryAfter: retryAfter ?? rules.retryLaterDelay,
                        PaywallProblem(code: .retryLater, answer: answer))
                }
                return .rejected(answer)
            case .success, .contradictory, .undetermined:
                return whenInDoubt(endpoint, PaywallProblem(code: .ambiguousAnswer, answer: answer))
            }
        }

        switch status {
        case 500..<600:
            return serverError(endpoint: endpoint, answer: answer, retryAfter: retryAfter)
        case 409:
            return whenInDoubt(endpoint, PaywallProblem(code: .conflict, answer: answer))
        case 400..<500:
            return .rejected(answer)
        default:
            return whenInDoubt(endpoint, PaywallProblem(code: .unreadableAnswer, answer: answer))
        }
    }

    private func serverError(endpoint: PaywallEndpoint, answer: PaywallAnswer, retryAfter: Duration?) -> PaywallOutcome
    {
        let problem = PaywallProblem(code: .serverError, answer: answer)
        return endpoint.sideEffect == .movesMoney
            ? .outcomeUnknown(problem) : .transient(retryAfter: retryAfter, problem)
    }

    private func classify(
        _ error: PhysicalError, endpoint: PaywallEndpoint, answer: PaywallAnswer, retryAfter: Duration?
    ) -> PaywallOutcome {
        switch error.treatment {
        case .serverError:
            return serverError(endpoint: endpoint, answer: answer, retryAfter: retryAfter)
        case .pause:
            return .unavailable(PaywallProblem(code: .credentialsRefused, answer: answer))
        case .probeCredentials:
            return .credentialsInDoubt(answer)
        case .retryLater:
            return .transient(
                retryAfter: retryAfter ?? rules.retryLaterDelay, PaywallProblem(code: .retryLater, answer: answer))
        case .alreadyCancelled:
            return endpoint.alreadyDone.contains(.alreadyCancelled)
                ? .alreadyDone(.alreadyCancelled, answer) : .rejected(answer)
        case .duplicateMerchantUniqueCode:
            return endpoint.alreadyDone.contains(.duplicateMerchantUniqueCode)
                ? .alreadyDone(.duplicateMerchantUniqueCode, answer) : .rejected(answer)
        case .notConvenient, .fail:
            return .rejected(answer)
        }
    }

    private func alreadyDoneReason(endpoint: PaywallEndpoint, envelope: PaywallEnvelope) -> AlreadyDoneReason? {
        for reason in AlreadyDoneReason.allCases where endpoint.alreadyDone.contains(reason) {
            guard let matcher = rules.alreadyDone[reason] else { continue }
            // A number decides only where a documented table says so for the API (the
            // PaymentAPI's); the Physical API's numeric codes are undocumented (API-NOTES S2).
            let code = endpoint.api == .payment ? envelope.errorCode : nil
            if matcher.matches(errorCode: code, messages: [envelope.message, envelope.clientMessage]) {
                return reason
            }
        }
        return nil
    }
}
