/// What one attempt came to. Exactly one place produces it: ``AnswerClassifier``.
public enum PaywallOutcome: Sendable, Hashable, CustomStringConvertible {
    /// Paywall did it. Ids and result are in the answer.
    case succeeded(PaywallAnswer)
    /// A resend found the work already done. For
    /// ``AlreadyDoneReason/duplicateMerchantUniqueCode`` the answer has no PaymentRequestId:
    /// the worker must reconcile by lookup (payment list by date, callback).
    case alreadyDone(AlreadyDoneReason, PaywallAnswer)
    /// Nothing happened at Paywall; send again after `retryAfter` (or the worker's backoff
    /// when `nil`). Does not count against the command's attempts when the cause is
    /// connectivity (``PaywallProblem/Code/transport``).
    case transient(retryAfter: Duration?, PaywallProblem)
    /// The request may have reached Paywall and there is no usable answer. Never resend
    /// blindly: reconcile first (inquiry, payment list, or a resend whose duplicate answer is
    /// reconciled).
    case outcomeUnknown(PaywallProblem)
    /// Paywall refused the command for good; ErrorCode, Message and ClientMessage verbatim in
    /// the answer.
    case rejected(PaywallAnswer)
    /// Paywall cannot be used now (credentials refused, DNS, TLS, unreachable, wrong base
    /// address): pause dispatch, do not fail the command, do not count an attempt.
    case unavailable(PaywallProblem)
    /// The command was refused before sending (nothing sent).
    case invalid(ValidationError)
    /// `Pair.Async.AuthenticationFailed`: Paywall refused this command as unauthorised, which
    /// may concern this command only or the key pair. The worker probes with the same keys (a
    /// one-item payment list): refused too → pause like ``unavailable(_:)``; otherwise the
    /// command fails with Paywall's words (see `CredentialProbe` in the worker).
    case credentialsInDoubt(PaywallAnswer)

    /// The `attempt.outcome` value of the schema: `succeeded`, `already_done`, `transient`,
    /// `unknown`, `rejected`, `unavailable`, `invalid`, `credentials_in_doubt`.
    public var recordName: String {
        switch self {
        case .succeeded: "succeeded"
        case .alreadyDone: "already_done"
        case .transient: "transient"
        case .outcomeUnknown: "unknown"
        case .rejected: "rejected"
        case .unavailable: "unavailable"
        case .invalid: "invalid"
        case .credentialsInDoubt: "credentials_in_doubt"
        }
    }

    /// The answer, when there was one.
    public var answer: PaywallAnswer? {
        switch self {
        case .succeeded(let answer), .alreadyDone(_, let answer), .rejected(let answer),
            .credentialsInDoubt(let answer):
            answer
        case .transient(_, let problem), .outcomeUnknown(let problem), .unavailable(let problem): problem.answer
        case .invalid: nil
        }
    }

    /// Whether the request may have reached Paywall without a clear answer, so the worker
    /// must reconcile before any resend.
    public var needsReconcile: Bool {
        switch self {
        case .outcomeUnknown: true
        case .alreadyDone(let reason, _): reason == .duplicateMerchantUniqueCode
        default: false
        }
    }

    /// A one-line summary without credentials or bodies.
    public var description: String {
        switch self {
        case .succeeded(let answer): "succeeded (HTTP \(answer.httpStatus))"
        case .alreadyDone(let reason, let answer): "already done: \(reason.rawValue) (HTTP \(answer.httpStatus))"
        case .transient(let retryAfter, let problem):
            "transient, retry after \(retryAfter.map { "\($0)" } ?? "backoff"): \(problem)"
        case .outcomeUnknown(let problem): "outcome unknown: \(problem)"
        case .rejected(let answer): "rejected (\(answer.summary))"
        case .unavailable(let problem): "unavailable: \(problem)"
        case .invalid(let error): "invalid: \(error.field): \(error.description)"
        case .credentialsInDoubt(let answer): "credentials in doubt (\(answer.summary))"
        }
    }
}
