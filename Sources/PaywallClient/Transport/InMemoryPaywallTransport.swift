import Foundation

/// A transport for tests: answers from a handler, and records every request it saw.
public final class InMemoryPaywallTransport: PaywallTransport, @unchecked Sendable {
    // Safety: `recorded` is only touched under `lock`; `handler` is immutable and Sendable.
    /// Produces the answer (or failure) for a request.
    public typealias Handler = @Sendable (PaywallRequest) throws(PaywallTransportError) -> PaywallHTTPResponse

    private let handler: Handler
    private let lock = NSLock()
    private var recorded: [PaywallRequest] = []

    /// Creates a transport answering with `handler`.
    public init(handler: @escaping Handler) {
        self.handler = handler
    }

    /// Creates a transport that always gives the same answer.
    public convenience init(status: Int, body: String, headers: PaywallHeaders = PaywallHeaders()) {
        self.init { _ in PaywallHTTPResponse(status: status, headers: headers, text: body) }
    }

    /// Creates a transport that always fails.
    public convenience init(failure: PaywallTransportError) {
        self.init { _ throws(PaywallTransportError) in throw failure }
    }

    /// The requests sent so far, in order.
    public var requests: [PaywallRequest] {
        lock.withLock { recorded }
    }

    /// Records the request and answers it.
    public func send(_ request: PaywallRequest, timeout: Duration) async throws(PaywallTransportError)
        -> PaywallHTTPResponse
    {
        lock.withLock { recorded.append(request) }
        return try handler(request)
    }
}
