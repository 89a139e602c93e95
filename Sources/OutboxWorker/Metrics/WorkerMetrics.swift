import CoreMetrics
import Metrics
import OutboxModel
import OutboxStore
import PaywallClient
import Prometheus
import Synchronization

/// The worker's metrics: instruments made through swift-metrics' API, kept in a swift-prometheus
/// registry, rendered as Prometheus text by ``MonitoringServer`` at `/metrics`.
///
/// The dispatch code calls a handful of one-line hooks (``loopTurned()``, ``finished(kind:_:)``,
/// ``watch(_:)``, and the Paywall client's request observer); everything else is read at scrape:
/// the queue from the database in one statement (``OutboxStore/queueCensus(now:)``), the breaker,
/// holds and leases from the dispatcher's shared state, the file sizes from the file system. With
/// no `--metrics-address` the worker has no `WorkerMetrics` and the hooks cost nothing.
///
/// The callback listener counts into ``callbackReceived()``, ``callbackVerified()`` and
/// ``callbackRefused()``; the payments still followed are counted at each scrape
/// (``setPaymentsFollowed(_:)``). Their series are served from the start, at 0.
public final class WorkerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let factory: CatalogMetricsFactory
    let liveness = LoopLiveness()
    private let dispatch = Mutex<DispatchState?>(nil)
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let gauges = Mutex<[String: CoreMetrics.Gauge]>([:])
    /// Pause reasons seen so far (set back to 0 when the pause ends, so the series stays).
    private let pauseReasons = Mutex<Set<String>>([])
    /// One scrape at a time: the gauges are refreshed, then rendered, as one reading.
    private let scrape = Mutex<Void>(())

    /// Creates the instruments; every fixed series is there from the start (at 0).
    public init(version: String = OutboxVersion.current) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        factory = CatalogMetricsFactory(registry: registry)
        gauge(.info, ["version": version]).record(1)
        for state in QueueCensus.states {
            for kind in CommandKind.allCases { gauge(.commands, ["state": state.rawValue, "kind": kind.rawValue]).record(0) }
        }
        for state in MetricLabels.breakerStates { gauge(.breakerState, ["state": state]).record(0) }
        for credentials in CredentialKind.allCases { gauge(.holds, ["credentials": credentials.rawValue]).record(0) }
        for definition in [MetricDefinition.lag, .reconcileBacklog, .databaseSize, .walSize, .pausedSeconds, .leases,
                           .loopAge, .paymentsFollowed] {
            gauge(definition, [:]).record(0)
        }
        for definition in [MetricDefinition.censusFailures, .callbacksReceived, .callbacksVerified, .callbacksRefused] {
            _ = counter(definition, [:])
        }
    }

    // MARK: - Hooks (one line each at the call site)

    /// The dispatch loop took an event (``LoopLiveness``).
    func loopTurned() { liveness.turned() }

    /// The dispatcher's shared state, read at scrape (breaker, holds, leases).
    func watch(_ state: DispatchState) { dispatch.withLock { $0 = state } }

    /// A final outcome was recorded.
    func finished(kind: String, _ outcome: InboxOutcome) {
        counter(
            .outcomes,
            ["kind": MetricLabels.kind(kind), "outcome": outcome.outcome.rawValue, "reason": MetricLabels.reason(outcome.reason)]
        ).increment()
    }

    /// A request went to Paywall (the Paywall client's observer).
    func requested(_ operation: PaywallOperation, _ outcome: PaywallOutcome, _ duration: Duration) {
        let labels = ["operation": operation.name, "classification": outcome.recordName]
        counter(.requests, labels).increment()
        timer(.requestDuration, labels).record(duration: duration)
    }

    // MARK: - Issue 12: callbacks and followed payments

    /// A Paywall callback arrived at the callback listener.
    public func callbackReceived() { counter(.callbacksReceived, [:]).increment() }
    /// A callback's Hash verified.
    public func callbackVerified() { counter(.callbacksVerified, [:]).increment() }
    /// A callback was refused (bad Hash, unknown payment, malformed).
    public func callbackRefused() { counter(.callbacksRefused, [:]).increment() }
    /// How many payments the worker is following now.
    public func setPaymentsFollowed(_ count: Int) { gauge(.paymentsFollowed, [:]).record(count) }

    // MARK: - Scrape

    /// Why dispatch is paused now (the bounded reason), or nil while it is not (or has not started).
    func pauseReason() -> String? {
        guard let state = dispatch.withLock({ $0 }) else { return nil }
        switch state.value.withLock({ $0.breaker.state }) {
        case .open(_, let text, _, _), .halfOpen(let text, _, _, _): return MetricLabels.pauseReason(text)
        case .closed, .ramping: return nil
        }
    }

    /// Refreshes what is read at scrape and renders every metric as Prometheus text. The store
    /// is read first (census, followed payments, file sizes), then the metrics set under the
    /// scrape lock.
    func render(store: any WorkerStore, now: EpochMillis) async -> String {
        let census = try? await store.queueCensus(now: now)
        // A database from before schema 006 has no followed payments.
        let follows = try? await store.followSummary()
        let sizes = store.localFile?.storageSizes()
        return scrape.withLock { _ in
            refreshQueue(census, follows: follows, now: now)
            refreshDispatch(now: now)
            if let bytes = sizes?.databaseBytes { gauge(.databaseSize, [:]).record(bytes) }
            if let bytes = sizes?.walBytes { gauge(.walSize, [:]).record(bytes) }
            gauge(.loopAge, [:]).record(liveness.age().map { Double($0.wholeMilliseconds) / 1_000 } ?? 0)
            return registry.emitToString()
        }
    }

    private func refreshQueue(_ census: QueueCensus?, follows: FollowSummary?, now: EpochMillis) {
        guard let census else {
            counter(.censusFailures, [:]).increment()
            return
        }
        var counts: [String: [String: Int]] = [:]
        for group in census.groups {
            counts[group.state.rawValue, default: [:]][MetricLabels.kind(group.kind), default: 0] += group.count
        }
        for state in QueueCensus.states {
            let byKind = counts[state.rawValue] ?? [:]
            for kind in CommandKind.allCases.map(\.rawValue) + (byKind["unknown"] != nil ? ["unknown"] : []) {
                gauge(.commands, ["state": state.rawValue, "kind": kind]).record(byKind[kind] ?? 0)
            }
        }
        let lagMillis = census.oldestDueSince.map { max(0, now - $0) } ?? 0
        gauge(.lag, [:]).record(Double(lagMillis) / 1_000)
        gauge(.reconcileBacklog, [:]).record(census.needsReconcile)
        if let follows { setPaymentsFollowed(follows.following) }
    }

    private func refreshDispatch(now: EpochMillis) {
        guard let state = dispatch.withLock({ $0 }) else { return }
        let (breaker, holds, leases) = state.value.withLock { ($0.breaker.state, $0.holds, $0.inFlight.count) }
        let current = MetricLabels.breakerState(breaker)
        for name in MetricLabels.breakerStates { gauge(.breakerState, ["state": name]).record(name == current ? 1 : 0) }
        var reason: String?
        var since: EpochMillis?
        switch breaker {
        case .open(_, let text, let start, _), .halfOpen(let text, let start, _, _):
            reason = MetricLabels.pauseReason(text)
            since = start
        case .closed, .ramping:
            break
        }
        let seen = pauseReasons.withLock { seen in
            if let reason { seen.insert(reason) }
            return seen
        }
        for name in seen { gauge(.paused, ["reason": name]).record(name == reason ? 1 : 0) }
        gauge(.pausedSeconds, [:]).record(since.map { Double(max(0, now - $0)) / 1_000 } ?? 0)
        for credentials in CredentialKind.allCases {
            let active = (holds[credentials] ?? 0) > now
            gauge(.holds, ["credentials": credentials.rawValue]).record(active ? 1 : 0)
        }
        gauge(.leases, [:]).record(leases)
    }

    // MARK: - Instruments (made once per label set, through swift-metrics)

    private func key(_ definition: MetricDefinition, _ labels: [String: String]) -> String {
        ([definition.name] + definition.labels.map { labels[$0] ?? "" }).joined(separator: "\u{1F}")
    }

    private func dimensions(_ definition: MetricDefinition, _ labels: [String: String]) -> [(String, String)] {
        definition.labels.map { ($0, labels[$0] ?? "") }
    }

    private func counter(_ definition: MetricDefinition, _ labels: [String: String]) -> CoreMetrics.Counter {
        counters.withLock { cache in
            let key = key(definition, labels)
            if let found = cache[key] { return found }
            let made = CoreMetrics.Counter(label: definition.name, dimensions: dimensions(definition, labels), factory: factory)
            cache[key] = made
            return made
        }
    }

    private func gauge(_ definition: MetricDefinition, _ labels: [String: String]) -> CoreMetrics.Gauge {
        gauges.withLock { cache in
            let key = key(definition, labels)
            if let found = cache[key] { return found }
            let made = CoreMetrics.Gauge(label: definition.name, dimensions: dimensions(definition, labels), factory: factory)
            cache[key] = made
            return made
        }
    }

    private func timer(_ definition: MetricDefinition, _ labels: [String: String]) -> CoreMetrics.Timer {
        timers.withLock { cache in
            let key = key(definition, labels)
            if let found = cache[key] { return found }
            let made = CoreMetrics.Timer(label: definition.name, dimensions: dimensions(definition, labels), factory: factory)
            cache[key] = made
            return made
        }
    }
}
