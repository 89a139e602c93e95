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

    init(configuration: SimulatorConfiguration, logger: Logger, callbacks: AsyncStream<CallbackDelivery>.Continuation) {
        self.configuration = configuration
        self.logger = logger
        self.callbacks = callbacks
        (self.paywall, self.faults) = Self.fresh(configuration)
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

    /// Applies due device transitions and queues their callbacks.
    func tick() {
        paywall.model.advance(to: now)
        flushChanges()
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
            guard let key = configuration.callbackHashKey,
                let payment = paywall.model.payment(id: change.paymentRequestId),
                let delivery = CallbackDelivery.make(for: payment, change: change, key: key)
            else { continue }
            callbacks.yield(delivery)
        }
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
        sequence = 0
        logger.info("simulator reset")
    }
}
