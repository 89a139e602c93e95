import OutboxModel
import PaywallClient
import Testing

@testable import PaywallSimulator

@Suite("Callback delivery scheduling")
struct CallbackSchedulerTests {
    static func delivery(_ id: String, _ status: Int) -> CallbackDelivery {
        CallbackDelivery(
            url: "http://127.0.0.1:1/cb",
            payload: .object([.init("PaymentRequestId", .string(id)), .init("PaymentStatusId", .number("\(status)"))]),
            at: 0)
    }

    static func statuses(_ deliveries: [CallbackDelivery]) -> [String] {
        deliveries.map { "\($0.payload["PaymentRequestId"]?.stringValue ?? "")\($0.payload["PaymentStatusId"]?.numberLiteral ?? "")" }
    }

    @Test func byDefaultEachCallbackGoesOnceAtOnce() {
        var scheduler = CallbackScheduler(seed: 1)
        for status in [2, 11, 4] {
            let decision = scheduler.add(Self.delivery("a", status), paymentRequestId: "a", final: status == 4, now: 0)
            #expect(Self.statuses(decision.post) == ["a\(status)"])
            #expect(!decision.dropped)
        }
        #expect(scheduler.heldCount == 0)
    }

    @Test func duplicatesGoTwiceBackToBack() {
        var scheduler = CallbackScheduler(seed: 1, settings: CallbackDeliverySettings(duplicates: true))
        let decision = scheduler.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0)
        #expect(Self.statuses(decision.post) == ["a2", "a2"])
    }

    @Test func reversedHoldsEachPaymentUntilItsFinalStatus() {
        var scheduler = CallbackScheduler(seed: 1, settings: CallbackDeliverySettings(order: .reversed, holdMillis: 1_000))
        #expect(scheduler.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0).post.isEmpty)
        #expect(scheduler.add(Self.delivery("b", 2), paymentRequestId: "b", final: false, now: 10).post.isEmpty)
        #expect(scheduler.add(Self.delivery("a", 11), paymentRequestId: "a", final: false, now: 20).post.isEmpty)
        #expect(scheduler.heldCount == 3)
        let final = scheduler.add(Self.delivery("a", 5), paymentRequestId: "a", final: true, now: 30)
        #expect(Self.statuses(final.post) == ["a5", "a11", "a2"])
        // b never becomes final: released when its hold runs out, not before.
        #expect(scheduler.due(now: 1_009).isEmpty)
        #expect(Self.statuses(scheduler.due(now: 1_010)) == ["b2"])
        #expect(scheduler.heldCount == 0)
    }

    @Test func releaseAllPostsEveryHeldCallback() {
        var scheduler = CallbackScheduler(
            seed: 1, settings: CallbackDeliverySettings(duplicates: true, order: .reversed))
        _ = scheduler.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0)
        _ = scheduler.add(Self.delivery("a", 11), paymentRequestId: "a", final: false, now: 1)
        #expect(Self.statuses(scheduler.releaseAll()) == ["a11", "a11", "a2", "a2"])
    }

    @Test func dropsFollowTheRateAndTheSeed() {
        func run(seed: UInt64) -> [Bool] {
            var scheduler = CallbackScheduler(seed: seed, settings: CallbackDeliverySettings(dropRate: 0.5))
            return (0..<200).map { _ in scheduler.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0).dropped }
        }
        let first = run(seed: 9)
        #expect(first == run(seed: 9))
        let dropped = first.filter { $0 }.count
        #expect((60...140).contains(dropped))
        var none = CallbackScheduler(seed: 9)
        var all = CallbackScheduler(seed: 9, settings: CallbackDeliverySettings(dropRate: 1))
        #expect(!none.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0).dropped)
        #expect(all.add(Self.delivery("a", 2), paymentRequestId: "a", final: false, now: 0).dropped)
    }

    @Test(arguments: [
        (CallbackDeliverySettings(dropRate: -0.1), "dropRate"), (CallbackDeliverySettings(dropRate: 1.5), "dropRate"),
        (CallbackDeliverySettings(holdMillis: -1), "holdMillis"), (CallbackDeliverySettings(hashKeyType: -7), "hashKeyType"),
    ])
    func badSettingsAreNamed(settings: CallbackDeliverySettings, field: String) {
        #expect(settings.problem?.contains(field) == true)
    }

    @Test func theDeviceModelDrivesTheCallbackStatuses() {
        // A declined sale reports 5 (with Paywall's failure text in Message); an offline terminal
        // only the not-taken statuses, until it comes back.
        var model = DeviceModel(settings: DeviceSettings(takeDelayMillis: 1_000, processingMillis: 1_000))
        let declined = SaleOrder(
            channel: .sync, terminalTagCode: "T1", merchantUniqueCode: "m-1", amount: "9.13",
            callbackAddress: "http://x/cb")
        _ = model.sale(declined, paymentRequestId: "p-1", activityId: "a-1", terminalId: "t-1", now: 0)
        model.setTerminal("T2", TerminalSettings(offline: true), now: 0)
        let offline = SaleOrder(
            channel: .sync, terminalTagCode: "T2", merchantUniqueCode: "m-2", amount: "22.10",
            callbackAddress: "http://x/cb")
        _ = model.sale(offline, paymentRequestId: "p-2", activityId: "a-2", terminalId: "t-2", now: 0)
        model.advance(to: 600_000)
        let changes = model.takeStatusChanges()
        #expect(changes.filter { $0.paymentRequestId == "p-1" }.map(\.to) == [.sentToDevice, .takenByDevice, .failed])
        #expect(changes.filter { $0.paymentRequestId == "p-2" }.map(\.to) == [.sentToDevice])
        #expect(changes.filter { $0.paymentRequestId == "p-2" }.allSatisfy { $0.to.meaning == .notTaken })
        let payment = model.payment(id: "p-1")!
        let failed = changes.first { $0.to == .failed }!
        let callback = CallbackDelivery.make(for: payment, change: failed, key: "k")!
        #expect(callback.payload["PaymentStatusId"] == .number("5"))
        #expect(callback.payload["Message"] == .string("Card declined (simulated)."))
        let verifier = CallbackVerifier(keys: CallbackKeys([(keyType: 7, key: "k")]))
        #expect(verifier.verify(body: callback.payload.serializedBytes()).callback?.paymentStatusId == 5)
    }
}
