import Logging
import OutboxModel
import Testing

@testable import PaywallClient

@Suite("Secrets never leak")
struct SecretRedactionTests {
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }

    static func assertNoSecrets(_ texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts {
            for secret in Fixtures.secrets {
                #expect(!text.contains(secret), "secret leaked in: \(text)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("configuration, credentials, secrets, headers, requests")
    func values() throws {
        let configuration = Fixtures.configuration()
        var texts = Self.renderings(configuration)
        texts += Self.renderings(configuration.privateCredentials)
        texts += Self.renderings(configuration.publicCredentials.apiKey)
        for kind in CommandKind.allCases {
            let request = try Fixtures.builder.build(
                kind: kind, payload: Fixtures.payload(kind), paymentRequestId: Fixtures.paymentRequestId(for: kind))
            texts += Self.renderings(request)
            texts += Self.renderings(request.headers)
            // The secrets really are in the request (the test would be vacuous otherwise).
            #expect(request.headers.fields.contains { Fixtures.secrets.contains($0.value) })
        }
        Self.assertNoSecrets(texts)
        #expect(texts.contains { $0.contains("<redacted>") })
    }

    @Test("outcomes, problems and errors")
    func outcomes() async throws {
        let configuration = Fixtures.configuration()
        // The server echoes the request's headers into its body, as a hostile proxy might: the
        // outcome's description must still not contain them (descriptions never print bodies).
        let transport = InMemoryPaywallTransport { request in
            let echoed = request.headers.fields.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
            return PaywallHTTPResponse(
                status: 200, text: #"{"ErrorCode":1,"Failed":true,"Message":"x","Echo":"\#(echoed)"}"#)
        }
        let client = PaywallAPIClient(configuration: configuration, transport: transport, logger: Logger(label: "test"))
        var texts: [String] = []
        for kind in CommandKind.allCases {
            let outcome = await client.send(
                kind: kind, payload: Fixtures.payload(kind), paymentRequestId: Fixtures.paymentRequestId(for: kind))
            texts.append(outcome.description)
            if case .rejected(let answer) = outcome { texts.append(answer.summary) }
        }
        for code in PaywallTransportError.Code.allCases {
            let failing = PaywallAPIClient(
                configuration: configuration, transport: InMemoryPaywallTransport(failure: .init(code: code)),
                logger: Logger(label: "test"))
            let outcome = await failing.send(kind: .asyncSale, payload: Fixtures.asyncSale)
            texts.append(outcome.description)
        }
        let invalid = await client.send(kind: .asyncSale, payload: "{}")
        texts += Self.renderings(invalid)
        Self.assertNoSecrets(texts)
    }

    @Test("logs carry no secrets, with dotted metadata keys")
    func logs() async throws {
        let sink = LogSink()
        let logger = Logger(label: "test") { _ in sink.handler() }
        let client = PaywallAPIClient(
            configuration: Fixtures.configuration(),
            transport: InMemoryPaywallTransport(
                status: 200, body: #"{"ErrorCode":0,"Succeeded":true,"Result":{"PaymentRequestId":"P"}}"#),
            logger: logger)
        _ = await client.send(kind: .asyncSale, payload: Fixtures.asyncSale)
        _ = await client.send(kind: .marketplaceApprove, payload: #"{"PaymentId":1}"#)
        _ = await client.send(kind: .asyncSale, payload: "{}")
        let records = sink.records
        #expect(records.count >= 5)
        Self.assertNoSecrets(records.map(\.rendered))
        let done = try #require(records.first { $0.message == "Paywall request done" })
        #expect(done.metadata["paywall.kind"] == "async_sale")
        #expect(done.metadata["paywall.http.status"] == "200")
        #expect(done.metadata["paywall.outcome"] == "succeeded")
        #expect(done.metadata["paywall.payment_request_id"] == "P")
        #expect(records.contains { $0.message == "Paywall request refused before sending" })
        #expect(records.allSatisfy { $0.metadata.keys.allSatisfy { $0.hasPrefix("paywall.") } })
    }
}
