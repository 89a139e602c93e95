import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Testing

@testable import OutboxWorker

/// Did the customer pay? The worker follows accepted sales and cancels against the simulator
/// (its device model drives S1 statuses), on the shared manual clock, by reading activities
/// alone (no callbacks: "callbacks lost, polling alone finishes").
@Suite("Worker: payments followed to their final status", .serialized)
struct PaymentFollowWorkerTests {
    static func statusRows(_ harness: WorkerHarness, key: String? = nil) throws -> [InboxRow] {
        try harness.store.inbox(after: 0, limit: 10_000).filter {
            $0.event == "payment_status" && (key == nil || $0.commandKey.lowercased() == key!.lowercased())
        }
    }

    static func finalStatus(_ harness: WorkerHarness, key: String) throws -> Int? {
        try statusRows(harness, key: key).first { $0.paymentStatus?.isFinal == true }?.paymentStatus?.statusId
    }

    /// Advances the shared clock a second at a time (every few real milliseconds) until
    /// `condition` holds; bounded in real time.
    static func advance(_ harness: WorkerHarness, until what: String, _ condition: @Sendable () throws -> Bool)
        async throws
    {
        let limit = ContinuousClock.now + .seconds(60)
        while try !condition() {
            guard ContinuousClock.now < limit else {
                Issue.record("timed out waiting for: \(what); rows \(try statusRows(harness).map { ($0.commandKey.prefix(8), $0.paymentStatus?.statusId) })")
                throw CancellationError()
            }
            harness.clock.advance(by: 1_000)
            try await Task.sleep(for: .milliseconds(15))
        }
    }

    /// Each activity's rows: distinct statuses, exactly one final, nothing after it.
    static func checkShape(_ rows: [InboxRow]) {
        let byActivity = Dictionary(grouping: rows) { "\($0.outboxID)/\($0.paymentStatus?.activity?.rawValue ?? "?")" }
        for (activity, rows) in byActivity {
            let ids = rows.compactMap { $0.paymentStatus?.statusId }
            #expect(Set(ids).count == ids.count, "\(activity): a status written twice: \(ids)")
            let finals = rows.filter { $0.paymentStatus?.isFinal == true }
            #expect(finals.count <= 1, "\(activity): \(finals.count) final rows")
            if let final = finals.first {
                #expect(rows.last == final, "\(activity): a row after the final one: \(ids)")
            }
        }
    }

    @Test("paid and declined sales end 4 and 5; a cancel of the paid sale ends with a final cancel row of its own")
    func paidDeclinedCancelled() async throws {
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 3_000, processingMillis: 2_000, defaultOutcome: .byAmount))
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let paid = Payloads.key()
            let declined = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: paid, kind: .asyncSale, payload: Payloads.sale(paid)))
            _ = try harness.store.enqueue(
                NewCommand(commandKey: declined, kind: .asyncSale, payload: Payloads.sale(declined, amount: "9.13")))
            try await harness.eventually("both sales accepted") { try harness.outcomes().count == 2 }
            #expect(try harness.outcomes().allSatisfy { $0.outcome?.outcome == .succeeded })
            try await Self.advance(harness, until: "both sales final") {
                try Self.finalStatus(harness, key: paid) != nil && Self.finalStatus(harness, key: declined) != nil
            }
            #expect(try Self.finalStatus(harness, key: paid) == PaymentStatus.successful.rawValue)
            #expect(try Self.finalStatus(harness, key: declined) == PaymentStatus.failed.rawValue)
            let paidRows = try Self.statusRows(harness, key: paid)
            #expect(paidRows.contains { $0.paymentStatus?.statusId == PaymentStatus.takenByDevice.rawValue })
            #expect(paidRows.allSatisfy { $0.paymentStatus?.activity == .sale && $0.paymentStatus?.source == .inquiry })

            let cancel = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: cancel, kind: .asyncCancel, payload: "{}", saleKey: paid))
            try await harness.eventually("cancel accepted") { try harness.outcomes().count == 3 }
            try await Self.advance(harness, until: "cancel final") { try Self.finalStatus(harness, key: cancel) != nil }
            #expect(try Self.finalStatus(harness, key: cancel) == PaymentStatus.successful.rawValue)
            #expect(try Self.statusRows(harness, key: cancel).allSatisfy { $0.paymentStatus?.activity == .cancel })
            // The sale stays paid: its final row is not followed by anything.
            #expect(try Self.statusRows(harness, key: paid) == paidRows)
            Self.checkShape(try Self.statusRows(harness))
            #expect(try harness.store.followSummary().following == 0)
        }
    }

    @Test("an offline terminal: the sale stays not taken, then is paid once the terminal comes back")
    func offlineThenOnline() async throws {
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 2_000, processingMillis: 1_000, defaultOutcome: .alwaysSucceed))
        defer { Task { await harness.finish() } }
        await harness.simulator.setTerminalOffline("T1")
        try await harness.withWorker { _ in
            let sale = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
            try await Self.advance(harness, until: "a not-taken status told") {
                try !Self.statusRows(harness, key: sale).isEmpty
            }
            // An hour offline: still followed, nothing final.
            harness.clock.advance(by: 3_600_000)
            try await harness.eventually("still followed after an hour") {
                try harness.store.follows(outboxId: harness.store.find(reference: sale).first!.id).first?.polls ?? 0 >= 2
            }
            #expect(try Self.finalStatus(harness, key: sale) == nil)
            #expect(try harness.store.followSummary().following == 1)
            await harness.simulator.setTerminalOffline("T1", false)
            try await Self.advance(harness, until: "paid") { try Self.finalStatus(harness, key: sale) != nil }
            #expect(try Self.finalStatus(harness, key: sale) == PaymentStatus.successful.rawValue)
            Self.checkShape(try Self.statusRows(harness))
        }
    }

    @Test("past the horizon without a final status: one unresolved row, following stops")
    func horizon() async throws {
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 2_000, processingMillis: 1_000, defaultOutcome: .alwaysSucceed),
            adjust: { $0.follow.horizons = [.sale: 60_000, .cancel: 60_000] })
        defer { Task { await harness.finish() } }
        await harness.simulator.setTerminalOffline("T1")
        try await harness.withWorker { _ in
            let sale = Payloads.key()
            _ = try harness.store.enqueue(NewCommand(commandKey: sale, kind: .asyncSale, payload: Payloads.sale(sale)))
            try await harness.eventually("sale accepted") { try harness.outcomes().count == 1 }
            try await Self.advance(harness, until: "unresolved") {
                try Self.statusRows(harness, key: sale).contains { $0.paymentStatus?.reason == .unresolved }
            }
            let rows = try Self.statusRows(harness, key: sale)
            #expect(rows.last?.paymentStatus?.statusId == nil && rows.last?.paymentStatus?.source == .horizon)
            let summary = try harness.store.followSummary()
            #expect(summary.following == 0 && summary.unresolved == 1)
        }
    }

    /// Queues `count` sales and waits (real time) until the simulator has received every one;
    /// returns the seconds it took.
    static func burst(_ harness: WorkerHarness, count: Int) async throws -> Double {
        let keys = (0..<count).map { _ in Payloads.key() }
        let start = ContinuousClock.now
        for key in keys {
            _ = try harness.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        }
        let limit = start + .seconds(120)
        while true {
            let received = Set(await harness.simulator.saleRequestCounts().keys.map { $0.lowercased() })
            if keys.allSatisfy(received.contains) { break }
            guard ContinuousClock.now < limit else {
                Issue.record("the burst was not sent within 120 s")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("a burst of new sales is sent about as fast with 1,000 payments being followed as with none")
    func pickupWithFollowedPayments() async throws {
        // Reads due again 1 ms after each answer, and the clock moving: every read slot busy all
        // the time, the worst a thousand followed payments can do.
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 600_000, processingMillis: 1_000, defaultOutcome: .alwaysSucceed),
            adjust: {
                $0.concurrency = 8
                $0.follow = PaymentFollowPolicy(firstIntervalMillis: 1, capMillis: 1)
            })
        defer { Task { await harness.finish() } }
        // The same worker and simulator with following switched off: the reference.
        let reference = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 600_000, processingMillis: 1_000, defaultOutcome: .alwaysSucceed),
            adjust: {
                $0.concurrency = 8
                $0.follow.enabled = false
            })
        defer { Task { await reference.finish() } }
        let baseline = try await reference.withWorker { _ in try await Self.burst(reference, count: 40) }
        #expect(try reference.store.followSummary().following == 0)
        try await harness.withWorker { _ in
            // A thousand accepted sales whose payments are followed, all due.
            for _ in 0..<1_000 {
                let key = Payloads.key()
                _ = try harness.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
            }
            try await harness.eventually("the thousand sales accepted", timeout: .seconds(120)) {
                try harness.store.followSummary().following >= 1_000
            }
            let ticker = Task {
                while !Task.isCancelled {
                    harness.clock.advance(by: 5)
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            defer { ticker.cancel() }
            // The reads are running: polls climb.
            let pollsBefore = try harness.store.followSummary().reads
            try await harness.eventually("reads running") {
                try harness.store.followSummary().reads > pollsBefore + 50
            }
            let loaded = try await Self.burst(harness, count: 40)
            let pollsAfter = try harness.store.followSummary().reads
            #expect(pollsAfter > pollsBefore + 50, "the reads were not running during the burst")
            // Generous: a busy machine slows both the same way; starving sends would be 10× or more.
            #expect(loaded <= baseline * 4 + 0.5, "burst of 40: \(loaded) s with 1,000 followed vs \(baseline) s without")
        }
    }

    static let deliveries: [CallbackDeliverySettings] = [
        CallbackDeliverySettings(),
        CallbackDeliverySettings(duplicates: true, order: .reversed, holdMillis: 500),
    ]

    @Test(
        "reads an hour apart, callbacks on (in order; duplicated and reversed): statuses arrive by callback, each final one confirmed by a read at once; a forged callback writes nothing",
        arguments: deliveries)
    func callbacksFinish(delivery: CallbackDeliverySettings) async throws {
        let harness = try await WorkerHarness(
            device: DeviceSettings(takeDelayMillis: 2_000, processingMillis: 1_000, defaultOutcome: .byAmount),
            adjust: { $0.follow = PaymentFollowPolicy(firstIntervalMillis: 3_600_000, capMillis: 3_600_000) })
        defer { Task { await harness.finish() } }
        try await harness.simulator.setCallbackDelivery(delivery)
        let sink = StoreCallbackSink(
            store: SQLiteWorkerStore(harness.store), clock: harness.clock, logger: Logger(label: "sink", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await CallbackTesting.withListener(keys: CallbackKeys([(keyType: 7, key: "sim-webhook-hash-key")]), sink: sink) {
            listener, url in
            try await harness.withWorker { _ in
                let paid = Payloads.key()
                let declined = Payloads.key()
                for (key, amount) in [(paid, "22.10"), (declined, "9.13")] {
                    let payload = Payloads.sale(key, amount: amount).dropLast() + #","CallbackAddress":"\#(url)"}"#
                    _ = try harness.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: String(payload)))
                }
                try await harness.eventually("both sales accepted") { try harness.outcomes().count == 2 }
                // A forged final status for the declined sale: signed with another key, refused.
                let sale = try #require(try harness.store.find(reference: declined).first)
                let forged = CallbackTesting.body(
                    key: "not-the-key", paymentRequestId: sale.paywallPaymentRequestId ?? "", statusId: 4,
                    merchantUniqueCode: declined, amount: "9.13")
                #expect(try await CallbackTesting.post(url, forged).status == 401)
                // Move the device (and the simulator's callbacks) along, a second at a time.
                try await Self.advance(harness, until: "both final") {
                    try Self.finalStatus(harness, key: paid) != nil && Self.finalStatus(harness, key: declined) != nil
                }
                #expect(try Self.finalStatus(harness, key: paid) == PaymentStatus.successful.rawValue)
                #expect(try Self.finalStatus(harness, key: declined) == PaymentStatus.failed.rawValue)
                let rows = try Self.statusRows(harness)
                if delivery.order == .inOrder {
                    #expect(rows.contains { $0.paymentStatus?.source == .callback }, "no status came by callback")
                }
                #expect(rows.filter { $0.paymentStatus?.isFinal == true }.allSatisfy { $0.paymentStatus?.source == .inquiry })
                Self.checkShape(rows)
                #expect(listener.counters.verified >= 4)
                // An hour between reads: the finals came from reads the callbacks brought forward.
                #expect(harness.clock.now() - sale.createdAt < 3_600_000)
            }
        }
    }
}
