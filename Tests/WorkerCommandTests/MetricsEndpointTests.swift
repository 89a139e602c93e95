import Foundation
import GRDB
import OutboxModel
import OutboxStore
import OutboxTestSupport
import OutboxWorker
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A running `worker --metrics-address 127.0.0.1:0`: the port it logged, and GETs on it.
struct MetricsEndpoint {
    let port: Int

    /// Waits for the worker's "listening" line and reads the port from it.
    static func of(_ worker: WorkerProcess) async throws -> MetricsEndpoint {
        #expect(await worker.waitForStderr("Metrics, health and readiness listening"), "\(worker.stderr.suffix(3000))")
        let pattern = try Regex(#"metrics\.address=127\.0\.0\.1:([0-9]+)"#)
        let match = try #require(worker.stderr.firstMatch(of: pattern), "\(worker.stderr.suffix(3000))")
        return MetricsEndpoint(port: try #require(Int(match.output[1].substring ?? "")))
    }

    func get(_ path: String) throws -> LoopbackHTTP.Response { try LoopbackHTTP.get(port: port, path: path) }

    /// Scrapes and parses strictly (every line must be valid exposition format).
    func scrape() throws -> PrometheusText {
        let response = try get("/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusText(response.body)
    }

    /// Scrapes until `condition` holds (true) or `timeout` passes (false): bounds a failure, not
    /// the normal case.
    func wait(timeout: Duration = .seconds(60), until condition: (PrometheusText) -> Bool) async throws
        -> PrometheusText
    {
        let deadline = ContinuousClock.now + timeout
        var last = try scrape()
        while !condition(last) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            last = try scrape()
        }
        return last
    }

    /// GETs `path` until its status is `status` (true) or `timeout` passes (false).
    func waitFor(_ path: String, status: Int, timeout: Duration = .seconds(60)) async throws -> LoopbackHTTP.Response {
        let deadline = ContinuousClock.now + timeout
        var last = try get(path)
        while last.status != status && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            last = try get(path)
        }
        return last
    }
}

/// The built worker with `--metrics-address`: `/metrics` after known traffic against the
/// simulator, `/health` and `/ready`, and the answers when things are wrong.
@Suite(.serialized) struct MetricsEndpointTests {
    static let labelNames: Set<String> = [
        "state", "kind", "outcome", "reason", "operation", "classification", "le", "credentials", "version",
    ]

    static func sale(amount: String = "22.10", notBefore: EpochMillis? = nil) -> NewCommand {
        let key = UUID().uuidString.lowercased()
        return NewCommand(
            commandKey: key, kind: .asyncSale,
            payload: """
                {"TerminalTagCode":"STORE1-TILL1","MerchantUniqueCode":"\(key)","Amount":\(amount),"CurrencyId":1,\
                "Products":[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":\(amount),"Quantity":1}]}
                """, notBefore: notBefore)
    }

    static func pairRequest() -> NewCommand {
        NewCommand(
            commandKey: UUID().uuidString.lowercased(), kind: .asyncPairRequest,
            payload: #"{"TerminalTagCode":"STORE1-TILL9"}"#)
    }

    /// Checks what every scrape must satisfy: the catalog's families with their types and help,
    /// `_total` counters, bounded label names, no command key anywhere.
    static func checkShape(_ text: PrometheusText, keys: [String]) {
        // Series labelled by traffic (an outcome, a request, a pause reason) appear with their
        // first event; every other family is there from the start.
        let byTraffic: [MetricDefinition] = [.outcomes, .requests, .requestDuration, .paused]
        for definition in MetricDefinition.all where !byTraffic.contains(definition) || text.families[definition.name] != nil {
            let family = text.families[definition.name]
            #expect(family?.type == definition.kind.rawValue, "\(definition.name): \(String(describing: family))")
            #expect(family?.help?.isEmpty == false, "\(definition.name) has no HELP")
        }
        for (name, family) in text.families where family.type == "counter" {
            #expect(name.hasSuffix("_total"), "counter \(name)")
        }
        for sample in text.samples {
            #expect(Set(sample.labels.keys).isSubset(of: labelNames), "\(sample.name) \(sample.labels)")
            for key in keys { #expect(!sample.labels.values.contains(key)) }
        }
    }

    @Test func afterKnownTrafficTheMetricsCountItAndParseAsPrometheusText() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(["--simulator", "--db", db, "--metrics-address", "127.0.0.1:0"])
        let endpoint = try await MetricsEndpoint.of(worker)
        let ready = try await endpoint.waitFor("/ready", status: 200)
        #expect(ready.status == 200 && ready.body.hasPrefix("ready"), "\(ready.body) \(worker.stderr.suffix(2000))")
        let health = try endpoint.get("/health")
        #expect(health.status == 200 && health.body.hasPrefix("ok"), "\(health.body)")
        #expect(health.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(try endpoint.get("/nope").status == 404)
        #expect(try endpoint.get("/").status == 404)

        // Known traffic: three sales Paywall takes, one refused before sending (three decimals),
        // one pairing request, and one sale not to be sent for an hour.
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let commands = [Self.sale(), Self.sale(), Self.sale(), Self.sale(amount: "22.105"), Self.pairRequest()]
        let waiting = Self.sale(notBefore: SystemWallClock().now() + 3_600_000)
        for command in commands + [waiting] { _ = try store.enqueue(command) }
        let keys = (commands + [waiting]).map(\.commandKey)

        let outcome = "outbox_outcomes_total"
        let settled = try await endpoint.wait { text in
            text.value(outcome, ["kind": "async_sale", "outcome": "succeeded", "reason": "none"]) == 3
                && text.value(outcome, ["kind": "async_sale", "outcome": "failed", "reason": "validation"]) == 1
                && text.value(outcome, ["kind": "async_pair_request", "outcome": "succeeded", "reason": "none"]) == 1
                && text.value("outbox_commands", ["state": "pending", "kind": "async_sale"]) == 1
                && text.value("outbox_lag_seconds") == 0 && text.value("outbox_leases_held") == 0
        }
        Self.checkShape(settled, keys: keys)
        #expect(settled.families[MetricDefinition.paused.name] == nil, "never paused")
        #expect(settled.value(outcome, ["kind": "async_sale", "outcome": "succeeded", "reason": "none"]) == 3)
        #expect(settled.value(outcome, ["kind": "async_sale", "outcome": "failed", "reason": "validation"]) == 1)
        #expect(settled.value(outcome, ["kind": "async_pair_request", "outcome": "succeeded", "reason": "none"]) == 1)
        // Sends: the refused sale never went out, so three sales and one pairing request.
        let requests = "outbox_paywall_requests_total"
        #expect(settled.value(requests, ["operation": "async_sale", "classification": "succeeded"]) == 3)
        #expect(settled.value(requests, ["operation": "async_pair_request", "classification": "succeeded"]) == 1)
        // Payment status reads (`payment_activities`) start 2 s after each acceptance: how many
        // there are by now depends on how long the machine took, so only sends are counted.
        let sent = settled.samples.filter { $0.name == requests && $0.labels["operation"] != "payment_activities" }
            .map(\.value).reduce(0, +)
        #expect(sent == 4, "\(settled.samples.filter { $0.name == requests })")
        let latency = "outbox_paywall_request_duration_seconds"
        let saleLabels = ["operation": "async_sale", "classification": "succeeded"]
        #expect(settled.value(latency + "_count", saleLabels) == 3)
        #expect(settled.value(latency + "_bucket", saleLabels.merging(["le": "+Inf"]) { $1 }) == 3)
        #expect((settled.value(latency + "_sum", saleLabels) ?? 0) > 0)
        // The queue, read from the database.
        #expect(settled.value("outbox_commands", ["state": "pending", "kind": "async_sale"]) == 1)
        #expect(settled.value("outbox_commands", ["state": "failed", "kind": "async_sale"]) == 1)
        #expect(settled.value("outbox_commands", ["state": "in_flight", "kind": "async_sale"]) == 0)
        #expect(settled.value("outbox_commands", ["state": "dead", "kind": "sync_sale"]) == 0)
        #expect(settled.value("outbox_lag_seconds") == 0, "the waiting sale is not due")
        #expect(settled.value("outbox_reconcile_backlog_commands") == 0)
        // Dispatch: running, nothing held.
        #expect(settled.value("outbox_breaker_state", ["state": "closed"]) == 1)
        for state in ["open", "half_open", "ramping"] {
            #expect(settled.value("outbox_breaker_state", ["state": state]) == 0)
        }
        #expect(settled.value("outbox_dispatch_paused_seconds") == 0)
        #expect(settled.value("outbox_retry_after_hold_active", ["credentials": "private"]) == 0)
        #expect(settled.value("outbox_leases_held") == 0)
        #expect((settled.value("outbox_database_size_bytes") ?? 0) > 0)
        #expect(settled.value("outbox_wal_size_bytes") != nil)
        #expect((settled.value("outbox_dispatch_loop_age_seconds") ?? 99) < 5)
        #expect(settled.value("outbox_worker_info", ["version": OutboxVersion.current]) == 1)
        // The three accepted sales are followed to their final status (the simulator's terminals
        // take 10 s, so a slow machine may already have seen some end: at most 3; the gauge's
        // value is checked exactly in WorkerMetricsTests). No callback listener: nothing refused.
        #expect(settled.value("outbox_callbacks_refused_total") == 0)
        #expect((0...3).contains(Int(settled.value("outbox_payments_followed") ?? -1)))
        #expect(settled.value("outbox_census_failures_total") == 0)
        let body = try endpoint.get("/metrics").body
        for key in keys { #expect(!body.contains(key), "a command key in /metrics") }

        // A database at a schema this worker does not know: /ready says so (503), /health does
        // not care; back at the right version, ready again.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: db, configuration: configuration)
        try await queue.write { try $0.execute(sql: "PRAGMA user_version = \(OutboxStore.latestSchemaVersion + 1)") }
        let wrong = try await endpoint.waitFor("/ready", status: 503)
        #expect(wrong.status == 503)
        #expect(wrong.body.contains("schema version \(OutboxStore.latestSchemaVersion + 1)"), "\(wrong.body)")
        #expect(wrong.body.contains("upgrade the worker"), "\(wrong.body)")
        #expect(try endpoint.get("/health").status == 200)
        try await queue.write { try $0.execute(sql: "PRAGMA user_version = \(OutboxStore.latestSchemaVersion)") }
        #expect(try await endpoint.waitFor("/ready", status: 200).status == 200)
        try queue.close()

        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
    }

    /// Paywall unreachable: dispatch pauses; /metrics shows the pause, its reason and the lag
    /// growing; /health stays 200 (the loop is alive and waiting), and /ready too.
    @Test func whilePausedOfflineHealthIsFineAndTheMetricsShowThePauseAndTheLag() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        var environment = validEnvironment
        environment["OUTBOX_DB"] = db
        // Nothing listens on port 1: every connection is refused.
        environment["PAYWALL_PHYSICAL_BASE_URL"] = "https://127.0.0.1:1"
        environment["PAYWALL_PAYMENT_BASE_URL"] = "https://127.0.0.1:1"
        environment["OUTBOX_METRICS_ADDRESS"] = "127.0.0.1:0"
        let worker = try WorkerProcess(["--create-database"], environment: environment)
        let endpoint = try await MetricsEndpoint.of(worker)
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        _ = try store.enqueue(Self.pairRequest())
        let paused = try await endpoint.wait { text in
            text.samples.contains { $0.name == "outbox_dispatch_paused" && $0.value == 1 }
        }
        let reasons = paused.samples.filter { $0.name == "outbox_dispatch_paused" && $0.value == 1 }
        #expect(reasons.map { $0.labels["reason"] } == ["connection_refused"], "\(reasons) \(worker.stderr.suffix(2000))")
        #expect(
            (paused.value("outbox_breaker_state", ["state": "open"]) ?? 0)
                + (paused.value("outbox_breaker_state", ["state": "half_open"]) ?? 0) == 1)
        #expect(paused.value("outbox_breaker_state", ["state": "closed"]) == 0)
        // A refused connection is classified transient (nothing reached Paywall); the worker
        // pauses on it.
        let refused = paused.samples.filter { $0.name == "outbox_paywall_requests_total" }
        #expect(
            (paused.value(
                "outbox_paywall_requests_total", ["operation": "async_pair_request", "classification": "transient"])
                ?? 0) >= 1, "\(refused)")
        // Commands queued while paused wait, and the lag shows it.
        for _ in 0..<3 { _ = try store.enqueue(Self.pairRequest()) }
        let lagging = try await endpoint.wait { ($0.value("outbox_lag_seconds") ?? 0) >= 1 }
        #expect((lagging.value("outbox_lag_seconds") ?? 0) >= 1)
        #expect((lagging.value("outbox_dispatch_paused_seconds") ?? 0) > 0)
        #expect((lagging.value("outbox_commands", ["state": "pending", "kind": "async_pair_request"]) ?? 0) >= 3)
        Self.checkShape(lagging, keys: [])
        let health = try endpoint.get("/health")
        #expect(health.status == 200, "\(health.body)")
        #expect(health.body.contains("paused (connection_refused)"), "\(health.body)")
        #expect(try endpoint.get("/ready").status == 200)
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
    }

    @Test func aBadMetricsAddressIsAConfigurationError() async throws {
        let worker = try WorkerProcess(["--simulator", "--metrics-address", "127.0.0.1:99999", "--check-config"])
        #expect(await worker.waitForExit() == 78, "\(worker.stderr)")
        #expect(worker.stderr.contains("metrics_address"), "\(worker.stderr)")
        let off = try WorkerProcess(["--simulator", "--check-config"])
        #expect(await off.waitForExit() == 0)
        #expect(off.stdout.contains("metrics_address = off"), "\(off.stdout)")
    }
}
