import Logging
import OutboxModel
import PaywallClient

/// The simulator's mutable state behind one actor: the pure ``SimulatedPaywall``, the fault
/// injector, the request log and the callback outbox.
actor SimulatorCore {
    let configuration: SimulatorConfiguration
    let logger: Logger
    private(set) var paywall: SimulatedPaywall
    private(set) var faults: FaultInjector
    private(set) var requests: [ReceivedRequest] = []
    private(set) var callbackRecords: [CallbackRecord] = []
    private var sequence = 0
    private let callbacks: AsyncStream<CallbackDelivery>.Continuation
    /// The key callbacks are signed with (`nil`: none are sent).
    private(set) var callbackHashKey: String?
    private var scheduler: CallbackScheduler
    private let started = ContinuousClock.now

    init(configuration: SimulatorConfiguration, logger: Logger, callbacks: AsyncStream<CallbackDelivery>.Continuation) {
        self.configuration = configuration
        self.logger = logger
        self.callbacks = callbacks
        self.callbackHashKey = configuration.callbackHashKey
        self.scheduler = CallbackScheduler(seed: configuration.seed, settings: configuration.callbackDelivery)
        (self.paywall, self.faults) = Self.fresh(configuration)
    }

    /// Real (monotonic) milliseconds since the core was created: callback holds run in real time.
    private var monotonicMillis: Int64 {
        let elapsed = ContinuousClock.now - started
        return elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private static func fresh(_ configuration: SimulatorConfiguration) -> (SimulatedPaywall, FaultInjector) {
        var paywall = SimulatedPaywall(
            seed: configuration.seed, credentials: configuration.credentials, device: configuration.device)
        paywall.unknownFields = configuration.unknownFields
        let now = configuration.clock.now()
        for (key, settings) in configuration.terminals.sorted(by: { $0.key < $1.key }) {
            paywall.model.setTerminal(key, settings, now: now)
        }
        return (paywall, FaultInjector(seed: configuration.seed, settings: configuration.faults))
    }

    var now: EpochMillis { configuration.clock.now() }

    // MARK: Request handling

    /// Records the request, counts a sale, and decides its fault.
    func begin(_ call: PaywallCall, method: String, path: String) -> (
        sequence: Int, fault: Fault, slowDelayMillis: Int64
    ) {
        sequence += 1
        paywall.countReceivedSale(call)
        let fault = faults.decide()
        let expected = [
            configuration.credentials.privateKey, configuration.credentials.privateClient,
            configuration.credentials.publicKey, configuration.credentials.publicClient,
        ]
        let headers = call.headers.map { field -> [String] in
            guard PaywallHeaders.isSecret(field.name) else { return [field.name, field.value] }
            return [field.name, expected.contains(field.value) ? "<redacted:ok>" : "<redacted:wrong>"]
        }
        requests.append(
            ReceivedRequest(
                sequence: sequence, receivedAt: now, route: call.route.name, method: method, path: path,
                headers: headers, body: String(decoding: call.body, as: UTF8.self), fault: fault))
        if requests.count > configuration.requestLogLimit {
            requests.removeFirst(requests.count - configuration.requestLogLimit)
        }
        logger.debug(
            "simulator request received",
            metadata: [
                "sim.request.sequence": .stringConvertible(sequence), "sim.request.route": .string(call.route.name),
                "sim.fault": .string(fault.rawValue),
            ])
        return (sequence, fault, faults.settings.slowDelayMillis)
    }

    /// The answer of a fault that stops a request before processing.
    func faultAnswer(_ fault: Fault, route: SimulatorRoute) -> SimulatedAnswer {
        let retryAfter = faults.settings.retryAfterSeconds
        let (status, message, headers): (Int, String, [String: String])
        switch fault {
        case .tooManyRequests:
            (status, message, headers) = (429, "Too many requests (simulated).", ["Retry-After": String(retryAfter)])
        case .serviceUnavailable:
            (status, message, headers) = (503, "Service unavailable (simulated).", ["Retry-After": String(retryAfter)])
        default:
            (status, message, headers) = (500, "Internal server error (simulated).", [:])
        }
        switch route.api {
        case .payment:
            return .paymentAPI(
                status: status, errorCode: status, result: false, message: message, body: .null, headers: headers)
        case .physical:
            // Paywall's documented string for a failure on its side; the HTTP status tells
            // throttling (429/503) apart.
            return .physicalError(
                status: status, casing: route.casing, errorCode: DeviceRefusal.genericErrorCode, message: message,
                clientMessage: PhysicalError.serverError.rawValue, headers: headers)
        }
    }

    /// Processes the call (the command takes effect) and queues callbacks.
    func process(_ call: PaywallCall) -> SimulatedAnswer {
        let answer = paywall.handle(call, now: now)
        flushChanges()
        return answer
    }

    /// Records what was answered (`nil`: the connection was dropped).
    func finish(sequence: Int, answer: SimulatedAnswer?) {
        guard let index = requests.lastIndex(where: { $0.sequence == sequence }) else { return }
        requests[index].responseStatus = answer?.status
        requests[index].responseBody = answer?.body.serialized()
    }

    /// Applies due device transitions and queues their callbacks (and held callbacks whose hold
    /// has run out).
    func tick() {
        paywall.model.advance(to: now)
        flushChanges()
        post(scheduler.due(now: monotonicMillis))
    }

    private func flushChanges() {
        let changes = paywall.model.takeStatusChanges()
        for change in changes {
            logger.info(
                "simulator payment status changed",
                metadata: [
                    "sim.payment.id": .string(change.paymentRequestId),
                    "sim.payment.activity": .string(change.activity.name),
                    "sim.payment.status.from": .stringConvertible(change.from?.rawValue ?? 0),
                    "sim.payment.status.to": .stringConvertible(change.to.rawValue),
                ])
            guard let key = callbackHashKey,
                let payment = paywall.model.payment(id: change.paymentRequestId),
                let delivery = CallbackDelivery.make(
                    for: payment, change: change, key: key, keyType: scheduler.settings.hashKeyType)
            else { continue }
            let decision = scheduler.add(
                delivery, paymentRequestId: change.paymentRequestId, final: change.to.isFinal, now: monotonicMillis)
            if decision.dropped {
                recordCallback(CallbackRecord(url: delivery.url, payload: delivery.payload.serialized(), dropped: true))
                logger.debug(
                    "simulator callback dropped on purpose",
                    metadata: [
                        "sim.payment.id": .string(change.paymentRequestId),
                        "sim.payment.status.to": .stringConvertible(change.to.rawValue),
                    ])
            }
            post(decision.post)
        }
    }

    private func post(_ deliveries: [CallbackDelivery]) {
        for delivery in deliveries { callbacks.yield(delivery) }
    }

    // MARK: Callback delivery

    func callbackDelivery() -> CallbackDeliverySettings { scheduler.settings }

    func heldCallbackCount() -> Int { scheduler.heldCount }

    func setCallbackDelivery(_ settings: CallbackDeliverySettings) throws(SimulatorError) {
        if let problem = settings.problem {
            throw SimulatorError(code: .invalidCallbackSettings, message: problem)
        }
        scheduler.settings = settings
        // Nothing stays held once holding is off.
        if settings.order == .inOrder { post(scheduler.releaseAll()) }
        logger.info(
            "simulator callback delivery changed",
            metadata: [
                "sim.callback.drop_rate": .stringConvertible(settings.dropRate),
                "sim.callback.duplicates": .stringConvertible(settings.duplicates),
                "sim.callback.order": .string(settings.order.rawValue),
                "sim.callback.hold_ms": .stringConvertible(settings.holdMillis),
                "sim.callback.hash_key_type": .stringConvertible(settings.hashKeyType),
            ])
    }

    func setCallbackHashKey(_ key: String?) {
        callbackHashKey = key
        logger.info("simulator callback signing key changed", metadata: ["sim.callback.enabled": "\(key != nil)"])
    }

    func releaseHeldCallbacks() {
        post(scheduler.releaseAll())
    }

    func closeCallbacks() {
        callbacks.finish()
    }

    func recordCallback(_ record: CallbackRecord) {
        callbackRecords.append(record)
        if callbackRecords.count > configuration.requestLogLimit { callbackRecords.removeFirst() }
    }

    // MARK: Admin

    func payments() -> [SimulatedPayment] {
        paywall.model.advance(to: now)
        flushChanges()
        return paywall.model.payments
    }

    func saleCounts() -> [String: SaleRequestCount] { paywall.saleCounts }

    func terminals() -> [String: TerminalSettings] { paywall.model.terminals.mapValues(\.settings) }

    func setFaults(_ settings: FaultSettings) throws(SimulatorError) {
        if let problem = settings.problem { throw SimulatorError(code: .invalidFaults, message: problem) }
        faults.settings = settings
        logger.info(
            "simulator faults changed",
            metadata: [
                "sim.fault.server_error_rate": .stringConvertible(settings.serverErrorRate),
                "sim.fault.service_unavailable_rate": .stringConvertible(settings.serviceUnavailableRate),
                "sim.fault.too_many_requests_rate": .stringConvertible(settings.tooManyRequestsRate),
                "sim.fault.slow_rate": .stringConvertible(settings.slowRate),
                "sim.fault.drop_after_processing_rate": .stringConvertible(settings.dropAfterProcessingRate),
            ])
    }

    func faultSettings() -> FaultSettings { faults.settings }

    func faultScript() -> [Fault] { faults.script }

    func scriptFaults(_ script: [Fault]) { faults.script += script }

    func setTerminal(_ key: String, _ settings: TerminalSettings) {
        paywall.model.setTerminal(key, settings, now: now)
        flushChanges()
    }

    func terminalSettings(_ key: String) -> TerminalSettings { paywall.model.terminalSettings(key) }

    func setDevice(_ settings: DeviceSettings) {
        paywall.model.setSettings(settings, now: now)
        flushChanges()
    }

    func deviceSettings() -> DeviceSettings { paywall.model.settings }

    /// Forgets every payment, approval, pairing, request and callback, and restarts the random
    /// sequences from the seed; keeps the current fault rates.
    func reset() {
        let rates = faults.settings
        (paywall, faults) = Self.fresh(configuration)
        faults.settings = rates
        requests = []
        callbackRecords = []
        // Held callbacks are forgotten; the delivery settings and the key stay, like fault rates.
        scheduler = CallbackScheduler(seed: configuration.seed, settings: scheduler.settings)
        sequence = 0
        logger.info("simulator reset")
    }
}
