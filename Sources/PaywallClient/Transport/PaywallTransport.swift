/// Sends one request and returns Paywall's HTTP answer. Implementations: ``HTTPClientTransport``
/// (AsyncHTTPClient) and ``InMemoryPaywallTransport`` (tests).
///
/// Contract: never follow redirects, never retry by themselves, honour `timeout` as the whole
/// request's deadline, and throw ``PaywallTransportError`` with the right "may have been sent"
/// classification.
public protocol PaywallTransport: Sendable {
    /// Sends `request`, waiting at most `timeout` for the complete answer.
    func send(_ request: PaywallRequest, timeout: Duration) async throws(PaywallTransportError) -> PaywallHTTPResponse
}
