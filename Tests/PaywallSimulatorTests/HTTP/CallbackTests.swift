import Hummingbird
import Logging
import NIOCore
import OutboxModel
import PaywallClient
import PaywallSimulator
import ServiceLifecycle
import Testing

@Suite("Status callbacks", .serialized)
struct CallbackTests {
    /// A loopback receiver that yields every callback body it gets.
    static func withReceiver<T>(_ body: (String, AsyncStream<String>) async throws -> T) async throws -> T {
        let (bodies, bodyContinuation) = AsyncStream.makeStream(of: String.self)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.post("callback") { request, _ -> HTTPResponse.Status in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            bodyContinuation.yield(String(buffer: buffer))
            return .ok
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }, logger: TestSupport.quietLogger)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: TestSupport.quietLogger))
        let task = Task.detached { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            let result = try await body("http://127.0.0.1:\(port)/callback", bodies)
            await group.triggerGracefulShutdown()
            _ = await task.result
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw error
        }
    }

    @Test func statusChangesArePostedWithTheAssumedHash() async throws {
        try await Self.withReceiver { url, bodies in
            try await TestSupport.withSimulator(
                device: DeviceSettings(takeDelayMillis: 1_000, processingMillis: 1_000), callbackHashKey: "hash-key"
            ) { sim, clock in
                let client = ContractTests.Client(baseURL: await sim.baseURL)
                defer { Task { try? await client.transport.shutdown() } }
                let code = TestSupport.guid(1)
                let payload =
                    #"{"TerminalTagCode":"T1","MerchantUniqueCode":"\#(code)","Amount":22.10,"CurrencyId":1,"CallbackAddress":"\#(url)","Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}"#
                let outcome = try await client.send(.syncSale, payload)
                guard case .succeeded(let answer) = outcome, let id = answer.ids.paymentRequestId else {
                    throw Failure("\(outcome)")
                }
                clock.advance(by: 2_000)
                await sim.tick()
                var received: [JSONValue] = []
                var iterator = bodies.makeAsyncIterator()
                while received.count < 3, let text = await iterator.next() {
                    received.append(try JSONValue.parse(text))
                }
                // S1 numbering: 2 SentToDevice, 11 TakenByDevice, 4 Successful.
                #expect(received.map { $0["PaymentStatusId"] } == [.number("2"), .number("11"), .number("4")])
                // S6 (docs/geri-bildirim-ornekleri/fiziksel-odeme-sync-async.md, docs/hash-olusturma/formatlar.md):
                // the documented fields, and Hash = sha256hex(key###PaymentRequestId###MerchantUniqueCode###Amount).
                let keys = [
                    "ConnectionId", "TerminalId", "PaymentRequestId", "PaymentRequestActivityId", "PaymentTypeId",
                    "PaymentStatusId", "MerchantUniqueCode", "DisplayCode", "Amount", "Message", "Hash", "HashFormat",
                    "HashKeyType",
                ]
                #expect(received.allSatisfy { payload in keys.allSatisfy { payload[$0] != nil } })
                #expect(
                    received.allSatisfy { $0["PaymentTypeId"] == .number("1") && $0["HashKeyType"] == .number("7") })
                let expected = CallbackHash.hex("hash-key###\(id)###\(code)###22.10")
                #expect(received.allSatisfy { $0["Hash"] == .string(expected) })
                #expect(received.first?["Amount"] == .number("22.10"))
                #expect(received.first?["MerchantUniqueCode"] == .string(code))
            }
        }
    }
}
