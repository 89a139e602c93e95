/// Why a request got no HTTP answer, sorted by the one thing that matters for money: could
/// the request have reached Paywall?
public struct PaywallTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of transport failure.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The connection was refused (nothing sent).
        case connectionRefused = "connection_refused"
        /// The connection could not be set up in time (nothing sent).
        case connectTimeout = "connect_timeout"
        /// The host name did not resolve (nothing sent).
        case dnsFailure = "dns_failure"
        /// TLS handshake or certificate verification failed (nothing sent).
        case tlsFailure = "tls_failure"
        /// No route to the host / network down (nothing sent).
        case networkUnreachable = "network_unreachable"
        /// The configured URL is not usable (nothing sent).
        case invalidURL = "invalid_url"
        /// The HTTP client could not start the request, e.g. it is shut down (nothing sent).
        case notStarted = "not_started"
        /// No answer in time after the request was sent (may have been sent).
        case readTimeout = "read_timeout"
        /// The connection closed before a full answer (may have been sent).
        case connectionClosed = "connection_closed"
        /// The request's deadline passed; where it stood is unknown (may have been sent).
        case deadlineExceeded = "deadline_exceeded"
        /// The request was cancelled by the caller mid-flight (may have been sent).
        case cancelled
        /// Anything else (may have been sent).
        case other
    }

    /// What happened.
    public var code: Code
    /// Details for operators (never contains credentials).
    public var detail: String

    /// Creates an error.
    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    /// Whether the request may have reached Paywall. `false` only when the failure happened
    /// before any byte of the request could have been written.
    public var requestMayHaveBeenSent: Bool {
        switch code {
        case .connectionRefused, .connectTimeout, .dnsFailure, .tlsFailure, .networkUnreachable, .invalidURL,
            .notStarted:
            false
        case .readTimeout, .connectionClosed, .deadlineExceeded, .cancelled, .other: true
        }
    }

    /// Whether the failure says the network or Paywall is down rather than slow: the connection
    /// closed or reset after the request was written (`connection_closed`, `other`). A read or
    /// overall timeout says Paywall is slow; a cancellation is ours.
    public var looksLikeOutage: Bool {
        switch code {
        case .connectionClosed, .other: true
        case .connectionRefused, .connectTimeout, .dnsFailure, .tlsFailure, .networkUnreachable, .invalidURL:
            true
        case .notStarted, .readTimeout, .deadlineExceeded, .cancelled: false
        }
    }

    /// `transport error connect_timeout (nothing sent): detail`.
    public var description: String {
        "transport error \(code.rawValue) (\(requestMayHaveBeenSent ? "may have been sent" : "nothing sent"))"
            + (detail.isEmpty ? "" : ": \(detail)")
    }
}
