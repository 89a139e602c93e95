import ArgumentParser
import Logging
import PaywallSimulator
import ServiceLifecycle

/// `paywall-sim`: runs the Paywall simulator until SIGINT or SIGTERM.
@main
struct PaywallSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paywall-sim",
        abstract: "A fake Paywall (Physical POS API + marketplace approve) on loopback. Moves no money.",
        discussion: """
            Serves Paywall's endpoints with the default fake credentials (apikeyprivate=sim-private-key,
            apiclientprivate=sim-private-client, apikeypublic=sim-public-key, apiclientpublic=sim-public-client),
            plus an admin API under /_sim (GET /_sim lists it). Logs go to stderr. Stop with Ctrl-C.

            Example: 10% server errors, 5% dropped connections, terminals taking commands after 3 s,
            replayable with seed 7:

              paywall-sim --port 8089 --seed 7 --error-rate 0.1 --drop-rate 0.05 --device-delay 3

              curl -s http://127.0.0.1:8089/_sim/payments
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the chosen one is logged).")
    var port = 8089

    @Option(help: "Seed of every random decision (faults, ids); the same seed replays the same faults.")
    var seed: UInt64 = 1

    @Option(help: "Seconds after a command is accepted until an online terminal takes it.")
    var deviceDelay: Double = 8

    @Option(help: "Seconds a terminal works on a sale before it succeeds or fails.")
    var processingTime: Double = 2

    @Option(help: "Default sale outcome rule: by_amount (cents .13 fail), always_succeed, always_fail.")
    var outcome: String = SaleOutcomeRule.byAmount.rawValue

    @Option(help: "A terminal (tag code or TerminalId) that is offline and never takes a command. Repeatable.")
    var offlineTerminal: [String] = []

    @Option(help: "Share (0...1) of requests answered 500 without processing.")
    var errorRate: Double = 0

    @Option(help: "Share (0...1) of requests answered 503 with Retry-After without processing.")
    var unavailableRate: Double = 0

    @Option(help: "Share (0...1) of requests answered 429 with Retry-After without processing.")
    var rateLimitRate: Double = 0

    @Option(help: "Retry-After seconds of a 429 or 503.")
    var retryAfter: Int = 1

    @Option(help: "Share (0...1) of requests processed and answered late.")
    var slowRate: Double = 0

    @Option(help: "Delay of a slow answer, in seconds.")
    var slowDelay: Double = 2

    @Option(help: "Share (0...1) of requests processed, then dropped without an answer.")
    var dropRate: Double = 0

    @Flag(help: "Start offline (port closed) — mostly useful together with the in-process API.")
    var offline = false

    @Option(help: "Key of the callback Hash (sha256 of key###PaymentRequestId###MerchantUniqueCode###Amount).")
    var callbackHashKey = "sim-webhook-hash-key"

    @Flag(help: "Do not send status callbacks.")
    var noCallbacks = false

    @Option(help: "Share (0...1) of callbacks lost (never posted).")
    var callbackDropRate: Double = 0

    @Flag(help: "Post every callback twice.")
    var callbackDuplicates = false

    @Option(
        help:
            "Callback order: in_order, or reversed (a payment's callbacks held until its final status or --callback-hold, then posted newest first)."
    )
    var callbackOrder: String = "in_order"

    @Option(help: "With --callback-order reversed: the longest hold, in seconds.")
    var callbackHold: Double = 2

    @Flag(
        help:
            "Accept request keys Paywall's documented fields do not include (as a worker run with --allow-unknown-fields sends them). Without it they are refused with System.ValidationError, naming the key."
    )
    var allowUnknownFields = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard SaleOutcomeRule(rawValue: outcome) != nil else {
            throw ValidationError(
                "--outcome must be one of \(SaleOutcomeRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard deviceDelay >= 0, processingTime >= 0, slowDelay >= 0 else {
            throw ValidationError("delays must not be negative")
        }
        if let problem = faults.problem { throw ValidationError(problem) }
        guard CallbackOrder(rawValue: callbackOrder) != nil else {
            throw ValidationError(
                "--callback-order must be one of \(CallbackOrder.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let problem = callbackDelivery.problem { throw ValidationError(problem) }
    }

    var callbackDelivery: CallbackDeliverySettings {
        CallbackDeliverySettings(
            dropRate: callbackDropRate, duplicates: callbackDuplicates,
            order: CallbackOrder(rawValue: callbackOrder) ?? .inOrder,
            holdMillis: callbackHold.isFinite ? Int64(max(-1, min(callbackHold, 1e7)) * 1000) : -1)
    }

    var faults: FaultSettings {
        FaultSettings(
            serverErrorRate: errorRate, serviceUnavailableRate: unavailableRate, tooManyRequestsRate: rateLimitRate,
            retryAfterSeconds: retryAfter,
            slowRate: slowRate, slowDelayMillis: Int64(slowDelay * 1000), dropAfterProcessingRate: dropRate)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "paywall-sim")
        var terminals: [String: TerminalSettings] = [:]
        for key in offlineTerminal { terminals[key] = TerminalSettings(offline: true) }
        let configuration = SimulatorConfiguration(
            host: host, port: port, seed: seed,
            device: DeviceSettings(
                takeDelayMillis: Int64(deviceDelay * 1000), processingMillis: Int64(processingTime * 1000),
                defaultOutcome: SaleOutcomeRule(rawValue: outcome) ?? .byAmount),
            terminals: terminals, faults: faults, startOffline: offline,
            callbackHashKey: noCallbacks ? nil : callbackHashKey,
            unknownFields: allowUnknownFields ? .passThrough : .refuse, callbackDelivery: callbackDelivery)
        let simulator = PaywallSimulator(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [simulator], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("simulator failed", metadata: ["sim.error": .string("\(error)")])
            throw ExitCode.failure
        }
    }
}
