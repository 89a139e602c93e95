import AsyncHTTPClient
import Foundation
import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

@Suite("Faults over loopback HTTP", .serialized)
struct FaultTests {
    typealias Client = ContractTests.Client

    static func withFaults<T>(
        _ faults: FaultSettings, seed: UInt64 = 1, _ body: (PaywallSimulator, Client) async throws -> T
    ) async throws -> T {
        try await TestSupport.withSimulator(seed: seed, faults: faults) { sim, _ in
            let client = Client(baseURL: await sim.baseURL)
            defer { Task { try? await client.transport.shutdown() } }
            return try await body(sim, client)
        }
    }

    func sale(_ client: Client, _ n: Int) async throws -> PaywallOutcome {
        try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(n)))
    }

    @Test func serverErrorIsNotProcessed() async throws {
        try await Self.withFaults(FaultSettings(serverErrorRate: 1)) { sim, client in
            let transport = client.transport
            let request = try client.builder.build(
                kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(1)))
            let response = try await transport.send(request, timeout: TestSupport.exchangeDeadline)
            #expect(response.status == 500)
            #expect(await sim.payments().isEmpty)
            #expect(
                await sim.saleRequestCount(merchantUniqueCode: TestSupport.guid(1))
                    == SaleRequestCount(received: 1, processed: 0, accepted: 0))
            // The client must not assume a 5xx on a money-moving call did nothing.
            let outcome = try await sale(client, 1)
            #expect(outcome.recordName == "unknown", "\(outcome)")
        }
    }

    @Test func serverErrorRateIsApplied() async throws {
        try await Self.withFaults(FaultSettings(serverErrorRate: 0.5), seed: 3) { sim, client in
            for n in 1...40 { _ = try await sale(client, n) }
            let faults = await sim.receivedRequests().map(\.fault)
            let errors = faults.filter { $0 == .serverError }.count
            #expect((8...32).contains(errors), "\(errors) of 40")
            #expect(await sim.payments().count == 40 - errors)
        }
    }

    @Test func tooManyRequestsCarriesRetryAfter() async throws {
        try await Self.withFaults(FaultSettings(tooManyRequestsRate: 1, retryAfterSeconds: 3)) { sim, client in
            let request = try client.builder.build(
                kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(1)))
            let response = try await client.transport.send(request, timeout: TestSupport.exchangeDeadline)
            #expect(response.status == 429)
            #expect(response.headers["Retry-After"] == "3")
            let outcome = try await sale(client, 1)
            guard case .transient(let retryAfter, _) = outcome else { throw Failure("\(outcome)") }
            #expect(retryAfter == .seconds(3))
            #expect(await sim.payments().isEmpty)
        }
    }

    @Test func serviceUnavailableIsNotProcessedAndTransient() async throws {
        try await Self.withFaults(FaultSettings(serviceUnavailableRate: 1, retryAfterSeconds: 2)) { sim, client in
            let outcome = try await sale(client, 1)
            guard case .transient(let retryAfter, _) = outcome else { throw Failure("\(outcome)") }
            #expect(retryAfter == .seconds(2))
            #expect(await sim.receivedRequests().first?.responseStatus == 503)
            #expect(await sim.payments().isEmpty)
        }
    }

    @Test func slowAnswersAreProcessedAndLate() async throws {
        try await Self.withFaults(FaultSettings(slowRate: 1, slowDelayMillis: 300)) { sim, client in
            let started = ContinuousClock.now
            let outcome = try await sale(client, 1)
            let elapsed = ContinuousClock.now - started
            guard case .succeeded = outcome else { throw Failure("\(outcome)") }
            #expect(elapsed >= .milliseconds(300))
            #expect(await sim.payments().count == 1)
        }
    }

    @Test func slowAnswerPastTheClientDeadlineIsOutcomeUnknownButHappened() async throws {
        try await Self.withFaults(FaultSettings(slowRate: 1, slowDelayMillis: 2_000)) { sim, client in
            let request = try client.builder.build(
                kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(1)))
            do throws(PaywallTransportError) {
                _ = try await client.transport.send(request, timeout: .milliseconds(300))
                Issue.record("expected a timeout")
            } catch {
                #expect(error.requestMayHaveBeenSent)
            }
            #expect(await sim.payments().count == 1)
        }
    }

    @Test func droppedAfterProcessingTakesEffectWithoutAnAnswer() async throws {
        try await Self.withFaults(FaultSettings(dropAfterProcessingRate: 1)) { sim, client in
            let outcome = try await sale(client, 1)
            guard case .outcomeUnknown(let problem) = outcome else { throw Failure("\(outcome)") }
            #expect(problem.transportError?.requestMayHaveBeenSent == true)
            #expect(await sim.payments().count == 1)
            let logged = try #require(await sim.receivedRequests().first)
            #expect(logged.fault == .dropAfterProcessing)
            #expect(logged.responseStatus == nil)
            // The resend with the same MerchantUniqueCode meets the duplicate rule.
            try await sim.setFaults(.none)
            let again = try await sale(client, 1)
            guard case .alreadyDone(.duplicateMerchantUniqueCode, _) = again else { throw Failure("\(again)") }
            #expect(
                await sim.saleRequestCount(merchantUniqueCode: TestSupport.guid(1))
                    == SaleRequestCount(received: 2, processed: 2, accepted: 1))
        }
    }

    @Test func scriptedFaultsHitTheNextRequestsInOrder() async throws {
        try await Self.withFaults(.none) { sim, client in
            await sim.scriptFaults([.tooManyRequests, .dropAfterProcessing])
            let outcomes = [try await sale(client, 1), try await sale(client, 2), try await sale(client, 3)]
            #expect(outcomes.map(\.recordName) == ["transient", "unknown", "succeeded"])
            #expect(await sim.receivedRequests().map(\.fault) == [.tooManyRequests, .dropAfterProcessing, .none])
        }
    }

    @Test func offlineRefusesConnectionsAndKeepsState() async throws {
        try await Self.withFaults(.none) { sim, client in
            _ = try await sale(client, 1)
            let port = await sim.port
            try await sim.setOffline(true)
            #expect(await sim.isOffline)
            let request = try client.builder.build(
                kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(2)))
            // A fresh connection pool: a kept-alive connection closed by the listener's shutdown
            // may race a request and read as "connection closed" (see docs/simulator.md).
            let fresh = HTTPClientTransport(configuration: client.configuration)
            defer { Task { try? await fresh.shutdown() } }
            do throws(PaywallTransportError) {
                _ = try await fresh.send(request, timeout: TestSupport.exchangeDeadline)
                Issue.record("expected connection refused")
            } catch {
                #expect(error.code == .connectionRefused, "\(error)")
                #expect(!error.requestMayHaveBeenSent)
            }
            try await sim.setOffline(false)
            #expect(await sim.port == port)
            #expect(try await sale(client, 2).recordName == "succeeded")
            #expect(await sim.payments().count == 2)
            #expect(await sim.receivedRequests().count == 2)
        }
    }

    @Test func sameSeedReplaysTheSameFaultSequenceOverHTTP() async throws {
        let faults = FaultSettings(serverErrorRate: 0.2, tooManyRequestsRate: 0.2, dropAfterProcessingRate: 0.2)
        func run() async throws -> [Fault] {
            try await Self.withFaults(faults, seed: 1234) { sim, client in
                for n in 1...25 { _ = try await sale(client, n) }
                return await sim.receivedRequests().map(\.fault)
            }
        }
        let first = try await run()
        let second = try await run()
        #expect(first == second)
        #expect(Set(first).count > 2)
    }
}
