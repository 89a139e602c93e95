import AsyncHTTPClient
import Foundation
import Logging

/// The production transport: AsyncHTTPClient with one shared connection pool, TLS
/// certificate verification on (AsyncHTTPClient's default), redirects never followed (a
/// redirected POST could be replayed elsewhere), JSON bodies on any method including DELETE,
/// and a deadline per request.
///
/// Create one per process and ``shutdown()`` it when done (unless you passed your own
/// `HTTPClient`, which you then shut down yourself).
public final class HTTPClientTransport: PaywallTransport {
    /// The largest answer body read; a longer answer is treated as a failure after sending.
    public static let maxResponseBytes = 4 * 1024 * 1024

    private let client: HTTPClient
    private let ownsClient: Bool

    /// The most connections opened to one host, whatever is asked (the worker's `--concurrency`
    /// is bounded to the same 256).
    public static let maxConnectionsPerHost = 256

    /// Creates a transport with its own `HTTPClient` (shared singleton event loop group).
    ///
    /// - Parameters:
    ///   - connectTimeout: how long a TCP/TLS connection may take.
    ///   - connectionsPerHost: how many HTTP/1.1 connections may be open to one host at once,
    ///     clamped to 1...``maxConnectionsPerHost``. AsyncHTTPClient's default is 8, which would cap
    ///     a worker's real concurrency at 8 whatever `--concurrency` says: size it from that.
    public init(connectTimeout: Duration = .seconds(5), connectionsPerHost: Int = 8) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = min(
            max(connectionsPerHost, 1), Self.maxConnectionsPerHost)
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .nanoseconds(Self.nanoseconds(connectTimeout)))
        configuration.decompression = .disabled
        // No distributed tracing: nothing here bootstraps a tracer, and AsyncHTTPClient's default
        // (the global no-op tracer) still made a span and its attributes for every request,
        // 2.4 % of a drain's CPU.
        configuration.tracing.tracer = nil
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        ownsClient = true
    }

    /// Creates a transport using the connect timeout of a ``PaywallConfiguration``, with up to
    /// `connectionsPerHost` connections to one host (pass the worker's concurrency).
    public convenience init(configuration: PaywallConfiguration, connectionsPerHost: Int = 8) {
        self.init(connectTimeout: configuration.connectTimeout, connectionsPerHost: connectionsPerHost)
    }

    /// Uses an `HTTPClient` you own (configure it with `redirectConfiguration = .disallow`).
    public init(httpClient: HTTPClient) {
        client = httpClient
        ownsClient = false
    }

    /// Shuts the owned `HTTPClient` down (no-op for a client you passed in).
    public func shutdown() async throws {
        if ownsClient {
            try await client.shutdown()
        }
    }

    /// Sends the request with `timeout` as the deadline for the whole exchange.
    public func send(_ request: PaywallRequest, timeout: Duration) async throws(PaywallTransportError)
        -> PaywallHTTPResponse
    {
        var outgoing = HTTPClientRequest(url: request.url)
        switch request.method {
        case .get: outgoing.method = .GET
        case .post: outgoing.method = .POST
        case .put: outgoing.method = .PUT
        case .delete: outgoing.method = .DELETE
        }
        for field in request.headers {
            outgoing.headers.add(name: field.name, value: field.value)
        }
        if let body = request.body {
            outgoing.body = .bytes(body)
        }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Self.nanoseconds(timeout)))
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            var headers = PaywallHeaders()
            for (name, value) in response.headers {
                headers.add(name: name, value: value)
            }
            return PaywallHTTPResponse(
                status: Int(response.status.code), headers: headers, body: Array(buffer.readableBytesView))
        } catch {
            throw TransportErrorMapper.map(error)
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
