import AsyncHTTPClient
import Testing

@testable import PaywallClient

@Suite("AsyncHTTPClient transport", .serialized)
struct HTTPClientTransportTests {
    /// The request timeout of the tests that do not test it: a loopback server here answers (or
    /// hangs up) at once, so only a stuck test reaches it. 5 s was exceeded by an immediate answer
    /// while the whole suite ran beside a CPU burner (the simulator tests' `exchangeDeadline`).
    static let answerBound = Duration.seconds(60)

    static func request(port: Int, method: HTTPMethod = .post, body: String? = #"{"Amount":22.10}"#) -> PaywallRequest {
        var headers = PaywallHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "apikeyprivate", value: Fixtures.privateKey)
        return PaywallRequest(
            operation: .command(.asyncSale), method: method, baseURL: "http://127.0.0.1:\(port)",
            path: "/api/payment/async/sale", headers: headers, body: body.map { Array($0.utf8) })
    }

    @Test("round trip: method, path, headers and exact body reach the server; answer comes back")
    func roundTrip() async throws {
        let answer = #"{"Result":{"PaymentRequestId":"P"},"Succeeded":true}"#
        let server = try OneShotServer(
            .respond(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)"
            ))
        defer { server.stop() }
        let transport = HTTPClientTransport(connectTimeout: .seconds(2))
        let response = try await transport.send(Self.request(port: server.port), timeout: Self.answerBound)
        try await transport.shutdown()
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == answer)
        #expect(response.headers["content-type"] == "application/json")
        let received = try #require(server.requests.first)
        #expect(received.hasPrefix("POST /api/payment/async/sale HTTP/1.1\r\n"))
        #expect(received.lowercased().contains("apikeyprivate: \(Fixtures.privateKey.lowercased())"))
        #expect(received.hasSuffix("\r\n\r\n{\"Amount\":22.10}"))
    }

    @Test("DELETE carries its JSON body")
    func deleteWithBody() async throws {
        let server = try OneShotServer(.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"))
        defer { server.stop() }
        let transport = HTTPClientTransport(connectTimeout: .seconds(2))
        _ = try await transport.send(
            Self.request(port: server.port, method: .delete, body: #"{"TerminalTagCode":"t"}"#), timeout: Self.answerBound)
        try await transport.shutdown()
        let received = try #require(server.requests.first)
        #expect(received.hasPrefix("DELETE "))
        #expect(received.hasSuffix(#"{"TerminalTagCode":"t"}"#))
    }

    @Test("redirects are not followed")
    func noRedirects() async throws {
        let server = try OneShotServer(
            .respond(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ))
        defer { server.stop() }
        let transport = HTTPClientTransport(connectTimeout: .seconds(2))
        let response = try await transport.send(Self.request(port: server.port), timeout: Self.answerBound)
        try await transport.shutdown()
        #expect(response.status == 307)
        #expect(server.requests.count == 1)
    }

    @Test("connection refused: nothing was sent")
    func refused() async throws {
        // Bind a port, then close it, so nothing listens there.
        let server = try OneShotServer(.closeAfterRequest)
        let port = server.port
        server.stop()
        let transport = HTTPClientTransport(connectTimeout: .seconds(1))
        do {
            _ = try await transport.send(Self.request(port: port), timeout: Self.answerBound)
            Issue.record("no error")
        } catch {
            #expect(!error.requestMayHaveBeenSent, "\(error)")
            #expect([.connectionRefused, .connectTimeout].contains(error.code), "\(error)")
            #expect(!error.description.contains(Fixtures.privateKey))
        }
        try await transport.shutdown()
    }

    @Test("server hangs up after reading the request: may have been sent")
    func closedAfterSend() async throws {
        let server = try OneShotServer(.closeAfterRequest)
        defer { server.stop() }
        let transport = HTTPClientTransport(connectTimeout: .seconds(2))
        do {
            _ = try await transport.send(Self.request(port: server.port), timeout: Self.answerBound)
            Issue.record("no error")
        } catch {
            #expect(error.requestMayHaveBeenSent, "\(error)")
        }
        try await transport.shutdown()
        #expect(server.requests.count >= 1)
    }

    @Test("no answer before the deadline: may have been sent")
    func deadline() async throws {
        let server = try OneShotServer(.hang)
        defer { server.stop() }
        let transport = HTTPClientTransport(connectTimeout: .seconds(2))
        do {
            _ = try await transport.send(Self.request(port: server.port), timeout: .milliseconds(500))
            Issue.record("no error")
        } catch {
            #expect(error.requestMayHaveBeenSent, "\(error)")
            #expect([.deadlineExceeded, .readTimeout].contains(error.code), "\(error)")
        }
        try await transport.shutdown()
    }

    @Test("unresolvable host: nothing sent")
    func unresolvable() async throws {
        let transport = HTTPClientTransport(connectTimeout: .seconds(1))
        var request = Self.request(port: 443)
        request.baseURL = "https://paywall-host-that-does-not-exist.invalid"
        do {
            _ = try await transport.send(request, timeout: .seconds(3))
            Issue.record("no error")
        } catch {
            #expect(!error.requestMayHaveBeenSent, "\(error)")
        }
        try await transport.shutdown()
    }

    @Test("invalid base URL: nothing sent")
    func invalidURL() async throws {
        let transport = HTTPClientTransport(connectTimeout: .seconds(1))
        var request = Self.request(port: 1)
        request.baseURL = "ftp://paywall.test"
        do {
            _ = try await transport.send(request, timeout: .seconds(2))
            Issue.record("no error")
        } catch {
            #expect(!error.requestMayHaveBeenSent, "\(error)")
        }
        try await transport.shutdown()
    }

    @Test(
        "AsyncHTTPClient errors map to sent / not sent",
        arguments: [
            (HTTPClientError.connectTimeout, PaywallTransportError.Code.connectTimeout),
            (.getConnectionFromPoolTimeout, .connectTimeout),
            (.tlsHandshakeTimeout, .tlsFailure),
            (.invalidURL, .invalidURL),
            (.emptyHost, .invalidURL),
            (.alreadyShutdown, .notStarted),
            (.readTimeout, .readTimeout),
            (.remoteConnectionClosed, .connectionClosed),
            (.deadlineExceeded, .deadlineExceeded),
            (.cancelled, .cancelled),
            (.bodyLengthMismatch, .other),
        ])
    func mapping(error: HTTPClientError, code: PaywallTransportError.Code) {
        #expect(TransportErrorMapper.map(error).code == code)
    }

    struct Unknown: Error {}

    @Test("unrecognised errors are 'may have been sent'")
    func unknownError() {
        #expect(TransportErrorMapper.map(Unknown()).requestMayHaveBeenSent)
        #expect(TransportErrorMapper.map(CancellationError()).code == .cancelled)
    }
}
