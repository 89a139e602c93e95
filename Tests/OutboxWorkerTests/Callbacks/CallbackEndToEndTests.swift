import Foundation
import Logging
import OutboxModel
import OutboxWorker
import PaywallClient
import PaywallSimulator
import Testing

/// The simulator posting its callbacks to the worker's listener over loopback, with a recording
/// sink (no database): S6 payloads and Hash as the simulator builds them, verified by the
/// worker's verifier; duplicates, reordering, losses and a key rotation on request.
@Suite("Callbacks from the simulator to the listener", .serialized)
struct CallbackEndToEndTests {
    typealias T = CallbackTesting

    /// A started simulator (manual clock, no background tick: `tick()` moves the device) signing
    /// with `key`, a sale client, and the listener; everything is shut down afterwards.
    static func withSimulatorAndListener(
        key: String = T.oldKey, listenerKeys: CallbackKeys = T.bothKeys,
        _ body: (PaywallSimulator, ManualWallClock, MemoryCallbackSink, CallbackListener, SaleClient) async throws -> Void
    ) async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let simulator = try await PaywallSimulator.start(
            SimulatorConfiguration(
                seed: 3, device: DeviceSettings(takeDelayMillis: 1_000, processingMillis: 1_000), clock: clock,
                tickIntervalMillis: 0, callbackHashKey: key),
            logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() }))
        let sink = MemoryCallbackSink()
        let client = SaleClient(baseURL: await simulator.baseURL)
        do {
            try await T.withListener(keys: listenerKeys, sink: sink) { listener, url in
                try await body(simulator, clock, sink, listener, client.with(callbackAddress: url))
            }
        } catch {
            await simulator.shutdown()
            try? await client.transport.shutdown()
            throw error
        }
        await simulator.shutdown()
        try await client.transport.shutdown()
    }

    /// Sends sync sales to the simulator with a CallbackAddress.
    struct SaleClient {
        let builder: PaywallRequestBuilder
        let transport: HTTPClientTransport
        var callbackAddress = ""

        init(baseURL: String) {
            builder = PaywallRequestBuilder(configuration: testConfiguration(baseURL: baseURL).paywall)
            transport = HTTPClientTransport(connectTimeout: .seconds(2))
        }

        func with(callbackAddress: String) -> SaleClient {
            var copy = self
            copy.callbackAddress = callbackAddress
            return copy
        }

        /// A sale of `amount` (`x.13` is declined by the simulator's default rule); returns its
        /// MerchantUniqueCode.
        func sale(amount: String, terminal: String = "T1") async throws -> String {
            let code = UUID().uuidString.lowercased()
            let payload =
                #"{"TerminalTagCode":"\#(terminal)","MerchantUniqueCode":"\#(code)","Amount":\#(amount),"CurrencyId":1,"CallbackAddress":"\#(callbackAddress)","Products":[{"Name":"Item","TaxGroupId":20,"UnitCodeId":4,"Amount":\#(amount),"Quantity":1}]}"#
            let response = try await transport.send(
                try builder.build(kind: .syncSale, payload: payload), timeout: .seconds(10))
            guard response.status == 200 else { throw TestFailure("sale answered \(response.status)") }
            return code
        }
    }

    static func statuses(_ callbacks: [VerifiedCallback], code: String) -> [Int] {
        callbacks.filter { $0.merchantUniqueCode == code }.map(\.paymentStatusId)
    }

    @Test func paidAndDeclinedSalesArriveVerifiedInOrder() async throws {
        try await Self.withSimulatorAndListener { simulator, clock, sink, listener, client in
            let paid = try await client.sale(amount: "22.10")
            let declined = try await client.sale(amount: "9.13")
            clock.advance(by: 2_000)
            await simulator.tick()
            try await T.eventually("six callbacks") { await sink.recorded.count == 6 }
            let recorded = await sink.recorded
            // S1: 2 SentToDevice, 11 TakenByDevice, then 4 paid or 5 declined.
            #expect(Self.statuses(recorded, code: paid) == [2, 11, 4])
            #expect(Self.statuses(recorded, code: declined) == [2, 11, 5])
            let failed = try #require(recorded.first { $0.paymentStatusId == 5 })
            #expect(failed.message == "Card declined (simulated).")
            #expect(failed.amount == "9.13")
            #expect(listener.counters.verified == 6)
            #expect(listener.counters.refusedTotal == 0)
            try await T.eventually("the simulator's log of six answers") { await simulator.callbacks().count == 6 }
            let answered = await simulator.callbacks().compactMap(\.responseStatus)
            #expect(answered == Array(repeating: 200, count: 6))
        }
    }

    @Test func anOfflineTerminalReportsOnlyNotTakenStatuses() async throws {
        try await Self.withSimulatorAndListener { simulator, clock, sink, _, client in
            await simulator.setTerminalOffline("T9")
            let code = try await client.sale(amount: "22.10", terminal: "T9")
            clock.advance(by: 60_000)
            await simulator.tick()
            try await T.eventually("the accepted status") { await sink.recorded.count == 1 }
            #expect(Self.statuses(await sink.recorded, code: code) == [2])
            // Back online, it takes the sale and finishes it.
            await simulator.setTerminalOffline("T9", false)
            clock.advance(by: 2_000)
            await simulator.tick()
            try await T.eventually("the final status") { await sink.recorded.count == 3 }
            #expect(Self.statuses(await sink.recorded, code: code) == [2, 11, 4])
        }
    }

    @Test func duplicatesAndReversedDeliveryReachTheSinkAsDelivered() async throws {
        try await Self.withSimulatorAndListener { simulator, clock, sink, listener, client in
            try await simulator.setCallbackDelivery(CallbackDeliverySettings(duplicates: true, order: .reversed))
            let code = try await client.sale(amount: "9.13")
            clock.advance(by: 2_000)
            await simulator.tick()
            try await T.eventually("six deliveries") { await sink.deliveries.count == 6 }
            // Held until the sale was final, then newest first, each twice.
            #expect(Self.statuses(await sink.deliveries, code: code) == [5, 5, 11, 11, 2, 2])
            #expect(Self.statuses(await sink.recorded, code: code) == [5, 11, 2])
            #expect(listener.counters.duplicate == 3)
            #expect(listener.counters.recorded == 3)
        }
    }

    @Test func lostCallbacksNeverArrive() async throws {
        try await Self.withSimulatorAndListener { simulator, clock, sink, _, client in
            try await simulator.setCallbackDelivery(CallbackDeliverySettings(dropRate: 1))
            _ = try await client.sale(amount: "22.10")
            clock.advance(by: 2_000)
            await simulator.tick()
            let records = await simulator.callbacks()
            #expect(records.count == 3)
            #expect(records.allSatisfy { $0.dropped })
            // Then delivery works again: a later sale's callbacks arrive.
            try await simulator.setCallbackDelivery(CallbackDeliverySettings())
            let code = try await client.sale(amount: "22.10")
            try await T.eventually("the next sale's callback") { await sink.deliveries.count == 1 }
            #expect(Self.statuses(await sink.deliveries, code: code) == [2])
        }
    }

    @Test func aKeyRotationIsFollowedAndAForeignKeyIsRefused() async throws {
        try await Self.withSimulatorAndListener(key: T.oldKey) { simulator, clock, sink, listener, client in
            let first = try await client.sale(amount: "22.10")
            try await T.eventually("signed with the old key") { await sink.recorded.count == 1 }
            await simulator.setCallbackHashKey(T.newKey)
            clock.advance(by: 1_000)
            await simulator.tick()
            try await T.eventually("signed with the new key") { await sink.recorded.count == 2 }
            await simulator.setCallbackHashKey("someone-elses-key")
            clock.advance(by: 1_000)
            await simulator.tick()
            try await T.eventually("refused") { listener.counters.refused(.hashMismatch) == 1 }
            #expect(Self.statuses(await sink.deliveries, code: first) == [2, 11])
            try await T.eventually("the simulator's log of three answers") { await simulator.callbacks().count == 3 }
            let answers = await simulator.callbacks().compactMap(\.responseStatus)
            #expect(answers == [200, 200, 401])
        }
    }
}
