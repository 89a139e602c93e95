import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import ServiceLifecycle

/// A final outcome the worker recorded, for callers that want to show progress (the demo).
public struct WorkerReport: Sendable, Hashable {
    /// The outbox row id.
    public var commandID: Int64
    /// The command key (a sale's MerchantUniqueCode).
    public var commandKey: String
    /// The kind name.
    public var kind: String
    /// How it ended.
    public var outcome: FinalOutcome
    /// Why, in a word.
    public var reason: InboxReason?
    /// The PaymentRequestId, when known.
    public var paymentRequestId: String?
    /// Paywall's message or the worker's explanation.
    public var message: String?
    /// The payment status the outcome carries (S1 numbering, `PaymentStatus`).
    public var paymentStatusId: Int? = nil
}

/// A payment status the worker told the merchant (a `payment_status` inbox row), for callers
/// that want to show it (the demo).
public struct PaymentStatusReport: Sendable, Hashable {
    /// The outbox row id of the command whose activity it is.
    public var commandID: Int64
    /// Its command key.
    public var commandKey: String
    /// Its kind name.
    public var kind: String
    /// The payment.
    public var paymentRequestId: String
    /// The activity.
    public var activity: FollowedActivity
    /// What was written.
    public var event: PaymentStatusEvent
}

/// The long-running outbox worker: claims due commands, plans each one (a pure decision),
/// sends through the Paywall client, and records every outcome. A ServiceLifecycle `Service`:
/// on graceful shutdown it stops claiming, lets in-flight sends finish within
/// `shutdownGraceMillis`, gives back what it had not started, and returns.
public struct OutboxWorker: Service {
    let configuration: WorkerConfiguration
    /// The outbox it drains: given, never built here (``SQLiteWorkerStore`` for a SQLite file).
    let store: any WorkerStore
    let client: PaywallAPIClient
    let clock: any WallClock
    let logger: Logger
    let onFinish: (@Sendable (WorkerReport) -> Void)?
    let onPaymentStatus: (@Sendable (PaymentStatusReport) -> Void)?
    let lifecycle: WorkerLifecycleHooks
    /// Counted and served at `/metrics` when given (``MonitoringServer``); nil costs nothing.
    let metrics: WorkerMetrics?

    /// A worker draining `store` (opened by the caller: ``SQLiteWorkerStore`` over
    /// `configuration.store` for the embedded default) through `transport`.
    public init(
        configuration: WorkerConfiguration, store: any WorkerStore, transport: any PaywallTransport,
        clock: any WallClock = SystemWallClock(),
        logger: Logger, onFinish: (@Sendable (WorkerReport) -> Void)? = nil, lifecycle: WorkerLifecycleHooks = .none,
        onPaymentStatus: (@Sendable (PaymentStatusReport) -> Void)? = nil, metrics: WorkerMetrics? = nil
    ) {
        self.onPaymentStatus = onPaymentStatus
        self.configuration = configuration
        self.store = store
        var observer: PaywallRequestObserver?
        if let metrics {
            observer = { operation, outcome, duration in metrics.requested(operation, outcome, duration) }
        }
        self.client = PaywallAPIClient(
            configuration: configuration.paywall, transport: transport, logger: logger, clock: clock,
            observer: observer)
        self.metrics = metrics
        self.clock = clock
        var logger = logger
        logger[metadataKey: "outbox.worker"] = "\(configuration.workerID)"
        self.logger = logger
        self.onFinish = onFinish
        self.lifecycle = lifecycle
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        try await Dispatcher(worker: self).run()
    }
}
