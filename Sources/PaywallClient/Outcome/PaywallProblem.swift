/// Why an attempt did not finish with an answer the worker can act on directly.
public struct PaywallProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of problem.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The transport failed (see ``PaywallProblem/transportError``).
        case transport
        /// Paywall refused the credentials (HTTP 401/403).
        case credentialsRefused = "credentials_refused"
        /// The address answered "no such endpoint" without a Paywall envelope (wrong base
        /// address or path), or redirected.
        case endpointNotFound = "endpoint_not_found"
        /// HTTP 408, 429 or 503: come back later.
        case throttled
        /// HTTP 5xx other than 503.
        case serverError = "server_error"
        /// HTTP 409 without a Paywall envelope.
        case conflict
        /// The answer could not be read as a Paywall envelope.
        case unreadableAnswer = "unreadable_answer"
        /// The envelope's success and failure signals disagree, or give none.
        case ambiguousAnswer = "ambiguous_answer"
        /// Paywall said "not now" (a configured retry-later answer).
        case retryLater = "retry_later"
    }

    /// What happened.
    public var code: Code
    /// The transport failure, for ``Code/transport``.
    public var transportError: PaywallTransportError?
    /// The answer, when there was one.
    public var answer: PaywallAnswer?

    /// Creates a problem.
    public init(code: Code, transportError: PaywallTransportError? = nil, answer: PaywallAnswer? = nil) {
        self.code = code
        self.transportError = transportError
        self.answer = answer
    }

    /// A one-line explanation (no credentials, no body).
    public var description: String {
        var text = code.rawValue
        if let transportError { text += ": \(transportError)" }
        if let answer { text += " (\(answer.summary))" }
        return text
    }
}
