import Hummingbird
import Logging
import OutboxModel
import ServiceLifecycle

/// A fake Paywall (Physical POS API + marketplace approve) on loopback, for tests, demos and
/// merchants trying their integration without touching money.
///
/// In-process use:
/// ```swift
/// let sim = try await PaywallSimulator.start(SimulatorConfiguration(seed: 42))
/// defer { Task { await sim.shutdown() } }
/// let base = sim.baseURL            // e.g. http://127.0.0.1:49152
/// try await sim.setFaults(FaultSettings(serverErrorRate: 0.1))
/// let counts = await sim.saleRequestCounts()
/// await sim.shutdown()
/// ```
/// As a swift-service-lifecycle `Service`, ``run()`` starts it and shuts it down on graceful
/// shutdown.
public final class PaywallSimulator: Service, Sendable {
    /// The configuration it was created with.
    public let configuration: SimulatorConfiguration
    let core: SimulatorCore
    let listener: ListenerController
    let logger: Logger
    private let responder: RouterResponder<SimulatorRequestContext>
    private let deliveries: AsyncStream<CallbackDelivery>

    /// Creates a simulator without starting it (see ``start()`` and ``run()``).
    public init(
        configuration: SimulatorConfiguration = SimulatorConfiguration(), logger: Logger = Logger(label: "paywall-sim")
    ) {
        self.configuration = configuration
        self.logger = logger
        let (deliveries, continuation) = AsyncStream.makeStream(of: CallbackDelivery.self)
        self.deliveries = deliveries
        let core = SimulatorCore(configuration: configuration, logger: logger, callbacks: continuation)
        let listener = ListenerController(host: configuration.host, port: configuration.port, logger: logger)
        let router = Router(context: SimulatorRequestContext.self)
        PaywallRoutes.register(on: router, core: core)
        AdminRoutes.register(on: router, core: core, listener: listener)
        self.core = core
        self.listener = listener
        self.responder = router.buildResponder()
    }

    /// Creates and starts a simulator; returns once it is listening.
    public static func start(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(),
        logger: Logger = Logger(label: "paywall-sim")
    ) async throws(SimulatorError) -> PaywallSimulator {
        let simulator = PaywallSimulator(configuration: configuration, logger: logger)
        try await simulator.start()
        return simulator
    }

    /// Binds the port (an ephemeral one when the configured port is 0) and starts the device
    /// clock and callback delivery. Calling it again does nothing.
    public func start() async throws(SimulatorError) {
        let core = self.core
        let interval = configuration.tickIntervalMillis
        let deliveries = self.deliveries
        let logger = self.logger
        var background: [@Sendable () async -> Void] = [
            { await CallbackSender.run(deliveries, core: core, logger: logger) }
        ]
        if interval > 0 {
            background.append {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(interval))
                    await core.tick()
                }
            }
        }
        guard
            try await listener.start(responder: responder, offline: configuration.startOffline, background: background)
        else { return }
        let base = await baseURL
        logger.info(
            "simulator started",
            metadata: ["sim.base_url": .string(base), "sim.seed": .stringConvertible(configuration.seed)])
    }

    /// Runs as a `Service`: starts, waits for graceful shutdown (or cancellation), shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops listening and stops the background work. Final: a shut-down simulator cannot be
    /// started again.
    public func shutdown() async {
        await listener.shutdown()
        await core.closeCallbacks()
        logger.info("simulator stopped")
    }

    // MARK: Address

    /// The bound port (the configured one before ``start()``).
    public var port: Int {
        get async { await listener.boundPort }
    }

    /// `http://host:port`, the base URL for both the Physical API and the PaymentAPI.
    public var baseURL: String {
        get async { "http://\(configuration.host):\(await listener.boundPort)" }
    }

    // MARK: Control

    /// Closes (`true`) or reopens (`false`) the port. While offline, clients get "connection
    /// refused" and nothing is recorded; state is kept.
    public func setOffline(_ offline: Bool) async throws(SimulatorError) {
        try await listener.setOffline(offline)
    }

    /// Whether the port is closed on purpose.
    public var isOffline: Bool {
        get async { await listener.offline }
    }

    /// Replaces the fault rates (takes effect for the next request).
    public func setFaults(_ faults: FaultSettings) async throws(SimulatorError) {
        try await core.setFaults(faults)
    }

    /// The fault rates in force.
    public func faults() async -> FaultSettings {
        await core.faultSettings()
    }

    /// Forces these faults on the next Paywall requests, in order, before any random draw.
    public func scriptFaults(_ faults: [Fault]) async {
        await core.scriptFaults(faults)
    }

    /// Changes one terminal's settings (key: tag code, or lowercase TerminalId).
    public func setTerminal(_ key: String, _ settings: TerminalSettings) async {
        await core.setTerminal(key, settings)
    }

    /// Marks one terminal offline (it takes no command) or online.
    public func setTerminalOffline(_ key: String, _ offline: Bool = true) async {
        var settings = await core.terminalSettings(key)
        settings.offline = offline
        await core.setTerminal(key, settings)
    }

    /// Changes the device timing and default outcome.
    public func setDevice(_ settings: DeviceSettings) async {
        await core.setDevice(settings)
    }

    /// Changes how callbacks are delivered (drops, duplicates, order, the `HashKeyType` written);
    /// switching to ``CallbackOrder/inOrder`` posts whatever was held back.
    public func setCallbackDelivery(_ settings: CallbackDeliverySettings) async throws(SimulatorError) {
        try await core.setCallbackDelivery(settings)
    }

    /// The callback delivery settings in force.
    public func callbackDelivery() async -> CallbackDeliverySettings {
        await core.callbackDelivery()
    }

    /// Signs the next callbacks with `key` (`nil`: send none), e.g. the new key of a rotation.
    public func setCallbackHashKey(_ key: String?) async {
        await core.setCallbackHashKey(key)
    }

    /// Posts every callback held back by ``CallbackOrder/reversed`` now (each payment's newest
    /// first), without waiting for a final status or the hold to run out.
    public func releaseHeldCallbacks() async {
        await core.releaseHeldCallbacks()
    }

    /// Applies every device transition due by the configured clock's now (and queues their
    /// callbacks). Useful with a ``ManualWallClock``; inspection calls do it too.
    public func tick() async {
        await core.tick()
    }

    /// Forgets payments, approvals, pairings, requests and callbacks; random sequences restart
    /// from the seed; fault rates stay.
    public func reset() async {
        await core.reset()
    }

    // MARK: Inspection

    /// Every request received on a Paywall endpoint, oldest first, credentials redacted.
    public func receivedRequests() async -> [ReceivedRequest] {
        await core.requests
    }

    /// Every payment, oldest first, as of now.
    public func payments() async -> [SimulatedPayment] {
        await core.payments()
    }

    /// The payment created with `merchantUniqueCode`, if any.
    public func payment(merchantUniqueCode: String) async -> SimulatedPayment? {
        await payments().first { $0.order.merchantUniqueCode.lowercased() == merchantUniqueCode.lowercased() }
    }

    /// Sale requests per MerchantUniqueCode (lowercase keys).
    public func saleRequestCounts() async -> [String: SaleRequestCount] {
        await core.saleCounts()
    }

    /// Sale requests that carried `merchantUniqueCode` (zeros when none).
    public func saleRequestCount(merchantUniqueCode: String) async -> SaleRequestCount {
        await core.saleCounts()[merchantUniqueCode.lowercased()] ?? SaleRequestCount()
    }

    /// Callbacks sent so far and what their receivers answered.
    public func callbacks() async -> [CallbackRecord] {
        await core.callbackRecords
    }

    /// Marketplace approve requests per PaymentId.
    public func approveCounts() async -> [Int64: Int] {
        await core.paywall.ledger.approveCounts
    }
}
