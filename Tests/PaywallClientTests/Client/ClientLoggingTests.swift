import Logging
import OutboxModel
import Testing

@testable import PaywallClient

/// What the client logs about a request (docs/paywall-client.md, Logging).
@Suite("Client log lines")
struct ClientLoggingTests {
    static func client(status: Int, body: String, logger: Logger) -> PaywallAPIClient {
        PaywallAPIClient(
            configuration: Fixtures.configuration(), transport: InMemoryPaywallTransport(status: status, body: body),
            logger: logger)
    }

    static let accepted = #"{"ErrorCode":0,"Succeeded":true,"Result":{"PaymentRequestId":"P"}}"#

    /// A client logging to `own`, and a caller's logger (carrying `outbox.command.id`) logging
    /// to `caller`.
    struct Callers {
        let own = LogSink()
        let caller = LogSink()
        let client: PaywallAPIClient
        let logger: Logger

        init(commandID: String) {
            let own = self.own
            let caller = self.caller
            client = ClientLoggingTests.client(
                status: 200, body: ClientLoggingTests.accepted, logger: Logger(label: "own") { _ in own.handler() })
            var logger = Logger(label: "caller") { _ in caller.handler() }
            logger[metadataKey: "outbox.command.id"] = "\(commandID)"
            self.logger = logger
        }
    }

    @Test("a request's lines go through the caller's logger, with the caller's metadata")
    func callersLogger() async throws {
        let callers = Callers(commandID: "42")
        let (own, caller, client, logger) = (callers.own, callers.caller, callers.client, callers.logger)
        let request = try client.prepare(kind: .asyncSale, payload: Fixtures.asyncSale)
        _ = await client.send(request, logger: logger)
        #expect(own.records.isEmpty)
        #expect(caller.records.map(\.message) == ["Sending Paywall request", "Paywall request done"])
        #expect(caller.records.allSatisfy { $0.metadata["outbox.command.id"] == "42" })
        #expect(caller.records.allSatisfy { $0.metadata["paywall.kind"] == "async_sale" })
    }

    @Test("a refusal before sending goes through the caller's logger too")
    func refusalThroughCallersLogger() async throws {
        let callers = Callers(commandID: "7")
        let (own, caller, client, logger) = (callers.own, callers.caller, callers.client, callers.logger)
        #expect(throws: ValidationError.self) { try client.prepare(kind: .asyncSale, payload: "{}", logger: logger) }
        _ = await client.paymentInquiry(paymentRequestId: "not a guid", logger: logger)
        #expect(own.records.isEmpty)
        let refusals = caller.records.filter { $0.message == "Paywall request refused before sending" }
        #expect(refusals.count == 2)
        #expect(refusals.allSatisfy { $0.metadata["outbox.command.id"] == "7" && $0.level == .notice })
    }

    @Test("a request done is a debug line; one not done is written at notice and up")
    func levels() async throws {
        let sink = LogSink()
        var logger = Logger(label: "test") { _ in sink.handler() }
        logger.logLevel = .info
        let done = Self.client(status: 200, body: Self.accepted, logger: logger)
        _ = await done.send(kind: .asyncSale, payload: Fixtures.asyncSale)
        #expect(sink.records.isEmpty, "\(sink.records.map(\.rendered))")
        let failing = Self.client(status: 500, body: "", logger: logger)
        _ = await failing.send(kind: .asyncSale, payload: Fixtures.asyncSale)
        let lines = sink.records
        #expect(lines.count == 1)
        #expect(lines.first.map { $0.level >= .notice } == true)
        #expect(lines.first?.metadata["paywall.http.status"] == "500")
        #expect(lines.first?.metadata["paywall.duration_ms"] != nil)
    }
}
