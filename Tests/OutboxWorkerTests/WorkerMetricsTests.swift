import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport
import PaywallClient
import Testing

@testable import OutboxWorker

@Suite("Metrics: addresses, labels, health decisions, rendering, docs")
struct WorkerMetricsTests {
    @Test(arguments: [
        ("9464", "127.0.0.1:9464"), ("127.0.0.1:9464", "127.0.0.1:9464"), ("0.0.0.0:9464", "0.0.0.0:9464"),
        ("localhost:0", "localhost:0"), ("[::1]:9464", "[::1]:9464"), (" 9464 ", "127.0.0.1:9464"),
    ])
    func addressesParse(text: String, expected: String) {
        #expect(MetricsAddress(parsing: text)?.description == expected)
    }

    @Test(arguments: ["", "abc", "127.0.0.1", "127.0.0.1:", ":9464", "::1:9464", "127.0.0.1:65536", "host:-1", "[::1]9464", "a b:1"])
    func badAddressesAreRefused(text: String) {
        #expect(MetricsAddress(parsing: text) == nil)
    }

    @Test(arguments: [
        ("transport: transport error connection_refused (nothing sent): connect(descriptor:addr:size:)", "connection_refused"),
        ("transport: transport error dns_failure (nothing sent)", "dns_failure"),
        ("transport: transport error something_new (nothing sent)", "transport"),
        ("credentials_refused (HTTP 401 Unauthorized)", "credentials_refused"),
        ("endpoint_not_found (HTTP 404)", "endpoint_not_found"),
        ("a reason from another version", "other"),
    ])
    func pauseReasonsAreBounded(text: String, label: String) {
        #expect(MetricLabels.pauseReason(text) == label)
    }

    @Test func reasonsAndKindsAreBounded() {
        #expect(MetricLabels.reason(nil) == "none")
        #expect(MetricLabels.reason(.alreadyDone("already_cancelled")) == "already_done")
        #expect(MetricLabels.reason(.validation) == "validation")
        #expect(MetricLabels.reason(InboxReason(rawValue: "a new reason")) == "other")
        #expect(MetricLabels.kind("async_sale") == "async_sale")
        #expect(MetricLabels.kind("not_a_kind") == "unknown")
    }

    @Test func healthFailsOnlyWhenTheLoopStopsTurning() {
        let stale = HealthCheck.loopStaleAfter(idlePollMillis: 500)
        #expect(stale == .seconds(5))
        #expect(HealthCheck.loopStaleAfter(idlePollMillis: 2_000) == .seconds(20))
        #expect(HealthCheck.liveness(loopAge: nil, staleAfter: stale, pausedReason: nil).ok)
        let fine = HealthCheck.liveness(loopAge: .milliseconds(300), staleAfter: stale, pausedReason: nil)
        #expect(fine.ok && fine.text == "ok: dispatch loop turned 0.3 s ago")
        let paused = HealthCheck.liveness(loopAge: .milliseconds(300), staleAfter: stale, pausedReason: "dns_failure")
        #expect(paused.ok && paused.text.hasSuffix("dispatch paused (dns_failure)"))
        let stuck = HealthCheck.liveness(loopAge: .seconds(12), staleAfter: stale, pausedReason: nil)
        #expect(!stuck.ok && stuck.text == "dispatch loop stuck: no turn for 12.0 s (limit 5.0 s)")
    }

    @Test func readinessNeedsTheFileTheSchemaAndARecentHeartbeat() {
        let now: EpochMillis = 1_000_000
        let latest = OutboxStore.latestSchemaVersion
        func ready(
            _ facts: ReadinessFacts? = nil, error: Bool = false, file: String? = nil
        ) -> HealthAnswer {
            let result: Result<ReadinessFacts, any Error> =
                error
                ? .failure(OutboxStoreError(.busy, "locked"))
                : .success(facts ?? ReadinessFacts(schemaVersion: latest, heartbeatAt: now - 1_000, heartbeatState: "running"))
            return HealthCheck.readiness(facts: result, fileProblem: file, latestSchema: latest, now: now)
        }
        #expect(ready().ok)
        #expect(ready(ReadinessFacts(schemaVersion: latest, heartbeatAt: now - 9_000, heartbeatState: "paused")).ok)
        #expect(!ready(file: "the database file x was deleted or moved away").ok)
        #expect(!ready(error: true).ok)
        let newer = ready(ReadinessFacts(schemaVersion: latest + 1, heartbeatAt: now, heartbeatState: "running"))
        #expect(!newer.ok && newer.text.contains("upgrade the worker"))
        let older = ready(ReadinessFacts(schemaVersion: latest - 1, heartbeatAt: now, heartbeatState: "running"))
        #expect(!older.ok && older.text.contains("outbox migrate"))
        #expect(!ready(ReadinessFacts(schemaVersion: latest, heartbeatAt: nil, heartbeatState: nil)).ok)
        let silent = ready(ReadinessFacts(schemaVersion: latest, heartbeatAt: now - 11_000, heartbeatState: "running"))
        #expect(!silent.ok && silent.text.contains("not writable"))
        #expect(!ready(ReadinessFacts(schemaVersion: latest, heartbeatAt: now, heartbeatState: "stopping")).ok)
    }

    @Test func theRegistryRendersEveryCatalogMetricWithHelpAndCountsTheHooks() async throws {
        let directory = Scratch.url("metrics")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try OutboxStore(OutboxStoreConfiguration(path: directory.appendingPathComponent("o.sqlite").path))
        let metrics = WorkerMetrics(version: "9.9.9")
        metrics.finished(kind: "async_sale", InboxOutcome(.succeeded))
        metrics.finished(kind: "async_sale", InboxOutcome(.succeeded))
        metrics.finished(kind: "sync_cancel", InboxOutcome(.succeeded, reason: .alreadyDone("already_cancelled")))
        metrics.requested(
            .command(.asyncSale), .succeeded(PaywallAnswer(response: PaywallHTTPResponse(status: 200))), .milliseconds(30))
        metrics.requested(.paymentList, .unavailable(PaywallProblem(code: .transport)), .seconds(2))
        metrics.callbackRefused()
        // One accepted sale whose payment is followed: the gauge is read from the store.
        let sale = UUID().uuidString.lowercased()
        let id = try store.enqueue(
            NewCommand(
                commandKey: sale, kind: .asyncSale,
                payload: #"{"TerminalTagCode":"T1","MerchantUniqueCode":"\#(sale)","Amount":1.00,"CurrencyId":1}"#)).id
        _ = try store.claim(owner: "w", now: 1_800_000_000_000, limit: 1, leaseMillis: 60_000)
        try store.record(
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)),
                follow: FollowStart(
                    paymentRequestId: UUID().uuidString, activity: .sale, activityId: nil, firstPollAt: 0,
                    intervalMillis: 2_000, horizonAt: .max))],
            worker: "w", now: 1_800_000_000_000)
        let text = try PrometheusText(await metrics.render(store: SQLiteWorkerStore(store), now: 1_800_000_000_000))
        // Every family is there from the start, except the pause reasons: a reason's series
        // appears when dispatch first pauses for it.
        #expect(text.families[MetricDefinition.paused.name] == nil)
        for definition in MetricDefinition.all where definition != .paused {
            #expect(text.families[definition.name]?.type == definition.kind.rawValue, "\(definition.name)")
            #expect(text.families[definition.name]?.help == definition.help, "\(definition.name)")
        }
        #expect(text.value("outbox_outcomes_total", ["kind": "async_sale", "outcome": "succeeded", "reason": "none"]) == 2)
        #expect(
            text.value("outbox_outcomes_total", ["kind": "sync_cancel", "outcome": "succeeded", "reason": "already_done"])
                == 1)
        #expect(text.value("outbox_paywall_requests_total", ["operation": "payment_list", "classification": "unavailable"]) == 1)
        let send = ["operation": "async_sale", "classification": "succeeded"]
        #expect(text.value("outbox_paywall_request_duration_seconds_bucket", send.merging(["le": "0.05"]) { $1 }) == 1)
        #expect(text.value("outbox_paywall_request_duration_seconds_bucket", send.merging(["le": "0.025"]) { $1 }) == 0)
        #expect(text.value("outbox_callbacks_refused_total") == 1)
        #expect(text.value("outbox_payments_followed") == 1)
        #expect(text.value("outbox_worker_info", ["version": "9.9.9"]) == 1)
        #expect(text.value("outbox_commands", ["state": "pending", "kind": "marketplace_approve"]) == 0)
        // Before the dispatch loop has run there is no dispatch state: nothing claims a breaker state.
        #expect(MetricLabels.breakerStates.allSatisfy { text.value("outbox_breaker_state", ["state": $0]) == 0 })
    }

    @Test func docsMonitoringDescribesEveryMetric() throws {
        let doc = try String(
            contentsOf: BuiltProducts.packageRoot.appendingPathComponent("docs/monitoring.md"), encoding: .utf8)
        for definition in MetricDefinition.all {
            #expect(doc.contains("`\(definition.name)`"), "docs/monitoring.md does not describe \(definition.name)")
        }
    }
}
