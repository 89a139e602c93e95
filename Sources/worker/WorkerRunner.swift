import Foundation
import Logging
import OutboxModel
import OutboxPostgres
import OutboxStore
import OutboxWorker
import PaywallClient
import PaywallSimulator
import ServiceLifecycle
import UnixSignals

/// The exit codes of `worker` (sysexits.h where one fits). Documented in `--help` and docs/worker.md.
enum WorkerExitCode {
    /// Clean shutdown (first SIGTERM/SIGINT, or --exit-when-idle).
    static let success: Int32 = 0
    /// Usage error (ArgumentParser: unknown flag, bad syntax, --demo without --simulator). EX_USAGE.
    static let usage: Int32 = 64
    /// A runtime failure (a service failed, the simulator could not start). EX_SOFTWARE.
    static let software: Int32 = 70
    /// The outbox database could not be opened, migrated or written. EX_IOERR.
    static let database: Int32 = 74
    /// A missing or invalid setting. EX_CONFIG.
    static let configuration: Int32 = 78
    /// A second SIGTERM/SIGINT during graceful shutdown: immediate exit (128 + SIGINT).
    static let secondSignal: Int32 = 130
}

/// Starts the simulator (with `--simulator`), opens the worker, queues the demo, and runs the
/// services in one ServiceGroup until shutdown. Returns the exit code.
struct WorkerRunner {
    let settings: WorkerSettings
    let demoCount: Int?
    let exitWhenIdle: Bool
    let createDatabase: Bool
    let logger: Logger
    /// systemd's notification socket, when `NOTIFY_SOCKET` names one (`Type=notify`).
    let notifier: SystemdNotifier? = SystemdNotifier(environment: ProcessInfo.processInfo.environment)

    func run() async -> Int32 {
        var settings = settings
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []

        // Outside first setup, a missing file is an operator's problem (a wrong path, a restore
        // that did not happen), never a reason to start draining a new empty database.
        let path = settings.configuration.store.path
        if PostgresLocation.isURL(path) && (demoCount != nil || exitWhenIdle) {
            logger.critical("--demo and --exit-when-idle run on a SQLite file, not on a postgres:// database")
            return WorkerExitCode.usage
        }
        if !PostgresLocation.isURL(path) && !settings.simulator && !createDatabase
            && !FileManager.default.fileExists(atPath: path)
        {
            logger.critical(
                "No outbox database at this path: create it with `outbox migrate --yes` or pass --create-database",
                metadata: ["config.db": .string(path)])
            return WorkerExitCode.configuration
        }

        // Signals first, so a SIGTERM during start-up is not lost (UnixSignalsSequence ignores
        // the default action of the signals it traps).
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)

        if settings.simulator {
            let simulator = PaywallSimulator(
                configuration: SimulatorConfiguration(
                    host: "127.0.0.1", port: 0, unknownFields: settings.configuration.paywall.unknownFields),
                logger: Logger(label: "paywall-sim"))
            do {
                try await simulator.start()
            } catch {
                logger.critical("Simulator failed to start", metadata: ["error": .string("\(error)")])
                return WorkerExitCode.software
            }
            let base = await simulator.baseURL
            settings = settings.pointingAtSimulator(baseURL: base)
            logger.notice(
                "Running against the built-in Paywall simulator (no money moves)",
                metadata: ["sim.base_url": .string(base), "config.db": .string(settings.configuration.store.path)])
            // run() calls start() again (a no-op), then shuts the simulator down last.
            services.append(.init(service: simulator, serviceName: "paywall-simulator"))
        }

        // Sends and payment reads have their own slots; so have their connections.
        let configuration = settings.configuration
        let transport = HTTPClientTransport(
            configuration: configuration.paywall,
            connectionsPerHost: configuration.concurrency
                + (configuration.follow.enabled ? configuration.follow.readSlots(concurrency: configuration.concurrency) : 0))
        let code = await run(settings: settings, services: services, transport: transport, signals: signals)
        try? await transport.shutdown()
        return code
    }

    private func run(
        settings: WorkerSettings, services: [ServiceGroupConfiguration.ServiceConfiguration],
        transport: HTTPClientTransport, signals: UnixSignalsSequence
    ) async -> Int32 {
        var services = services
        let worker: OutboxWorker
        // The SQLite store the demo and --exit-when-idle use; nil on PostgreSQL.
        var store: OutboxStore?
        let workerStore: any WorkerStore
        var clock: any WallClock = SystemWallClock()
        var background: [Task<Void, Never>] = []
        defer { for task in background { task.cancel() } }
        // Served on the worker's own listener when --metrics-address is given (issue 13); the
        // callback listener counts into the same instruments.
        let metrics = settings.metricsAddress.map { _ in WorkerMetrics() }
        do {
            var onFinish: (@Sendable (WorkerReport) -> Void)? = nil
            var onPaymentStatus: (@Sendable (PaymentStatusReport) -> Void)? = nil
            if settings.simulator {
                onFinish = { @Sendable report in OutcomeLine.print(report) }
                onPaymentStatus = { @Sendable report in OutcomeLine.print(report) }
            }
            // The worker receives its store: a PostgreSQL database for a postgres:// URL (kept
            // in time by the server's clock), else the SQLite file the settings name.
            if PostgresLocation.isURL(settings.configuration.store.path) {
                switch await PostgresOpening.open(settings.configuration.store.path, logger: logger) {
                case .success(let opened):
                    workerStore = opened.store
                    clock = opened.clock
                    background = opened.background
                case .failure(let failure):
                    return failure.code
                }
            } else {
                let sqlite = try OutboxStore(settings.configuration.store)
                store = sqlite
                workerStore = SQLiteWorkerStore(sqlite)
            }
            worker = OutboxWorker(
                configuration: settings.configuration, store: workerStore, transport: transport, clock: clock,
                logger: logger, onFinish: onFinish, lifecycle: notifier?.hooks ?? .none,
                onPaymentStatus: onPaymentStatus, metrics: metrics)
        } catch {
            logger.critical(
                "Cannot open the outbox database",
                metadata: ["config.db": .string(settings.configuration.store.path), "error": .string("\(error)")])
            // A schema newer than this binary will not change by restarting: an operator must
            // upgrade the binary. 78 is the code the documented unit does not restart.
            if (error as? OutboxStoreError)?.code == .schemaTooNew { return WorkerExitCode.configuration }
            return WorkerExitCode.database
        }

        var waiting: [(index: Int, step: DemoStep)] = []
        var queuedIDs: [Int: Int64] = [:]
        if let demoCount, let store {
            do {
                for (index, step) in DemoCommands.make(count: demoCount).enumerated() {
                    guard step.after == nil else {
                        waiting.append((index, step))
                        continue
                    }
                    let result = try store.enqueue(step.command)
                    queuedIDs[index] = result.id
                    logger.debug(
                        "Demo command queued",
                        metadata: [
                            "outbox.command.id": "\(result.id)", "outbox.command.kind": .string(step.command.kindName),
                        ])
                }
                logger.notice(
                    "Demo commands queued; follow-ups wait until Paywall has accepted their sale",
                    metadata: ["demo.count": "\(demoCount)", "demo.follow_ups": "\(waiting.count)"])
            } catch {
                logger.critical("Cannot queue the demo commands", metadata: ["error": .string("\(error)")])
                return WorkerExitCode.database
            }
        }

        // Before the worker: services stop in reverse order, so /health and /metrics stay up while
        // the worker drains.
        if let address = settings.metricsAddress,
            let server = MonitoringServer(address: address, worker: worker, logger: logger)
        {
            services.append(.init(service: server, serviceName: "metrics"))
        }
        services.append(.init(service: worker, serviceName: "outbox-worker"))
        if let callbackConfiguration = settings.callbackListener {
            // Listed after the worker, so graceful shutdown stops it first: no callback arrives
            // while the worker is finishing. Verified callbacks become payment status hints on
            // the followed activities (StoreCallbackSink).
            let listener = CallbackListener(
                configuration: callbackConfiguration, sink: StoreCallbackSink(store: workerStore, logger: logger),
                logger: logger, metrics: metrics)
            services.append(.init(service: listener, serviceName: "callback-listener"))
        }
        // Never without a SQLite store: run() refuses --demo and --exit-when-idle on PostgreSQL.
        if exitWhenIdle || !waiting.isEmpty, let store {
            services.append(
                .init(
                    service: IdleWatcher(
                        store: store, logger: logger, waiting: waiting, queuedIDs: queuedIDs, exitWhenIdle: exitWhenIdle,
                        waitForPayments: demoCount != nil),
                    successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "idle-watcher"))
        }

        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        // The worker finishes in-flight sends within its grace; past grace + 5 s the group cancels.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(
            settings.configuration.shutdownGraceMillis + 5_000)
        let group = ServiceGroup(configuration: groupConfiguration)

        logger.notice(
            "Worker running",
            metadata: [
                "outbox.worker": .string(settings.configuration.workerID),
                "config.db": .string(settings.configuration.store.path),
                "process.pid": "\(ProcessInfo.processInfo.processIdentifier)",
                "process.version": .string(OutboxVersion.current),
            ])
        if let notifier {
            logger.info(
                "Notifying systemd",
                metadata: [
                    "systemd.notify_socket": .string(notifier.socketName),
                    "systemd.watchdog_interval": .string(
                        notifier.watchdogIntervalMillis.map { DurationText.format(millis: $0) } ?? "off"),
                ])
        }
        let logger = self.logger
        let notifier = self.notifier
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Result<Void, any Error>?.self) { tasks in
            tasks.addTask {
                // First signal: graceful shutdown. Second: exit at once.
                var received = 0
                for await signal in signals {
                    received += 1
                    if received == 1 {
                        notifier?.sendOnce("STOPPING=1")
                        logger.notice(
                            "Signal received: shutting down gracefully (send it again to exit at once)",
                            metadata: ["process.signal": "\(signal)"])
                        await group.triggerGracefulShutdown()
                    } else {
                        logger.critical(
                            "Second signal received: exiting at once", metadata: ["process.signal": "\(signal)"])
                        exit(WorkerExitCode.secondSignal)
                    }
                }
                return nil
            }
            tasks.addTask {
                do {
                    try await group.run()
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            var result: Result<Void, any Error> = .success(())
            for await next in tasks {
                if let next {
                    result = next
                    tasks.cancelAll()
                }
            }
            return result
        }
        // However the group ended (a signal, --exit-when-idle, a failure), the service is going.
        notifier?.sendOnce("STOPPING=1")
        switch outcome {
        case .success:
            logger.notice("Worker stopped")
            return WorkerExitCode.success
        case .failure(let error):
            let isDatabase = Self.isDatabaseError(error)
            logger.critical(
                "Worker failed", metadata: ["error": .string("\(error)"), "error.database": "\(isDatabase)"])
            return isDatabase ? WorkerExitCode.database : WorkerExitCode.software
        }
    }

    /// Whether a failure came from the outbox store (ServiceGroup wraps service errors).
    static func isDatabaseError(_ error: any Error) -> Bool {
        if error is OutboxStoreError { return true }
        let mirror = Mirror(reflecting: error)
        return mirror.children.contains { child in
            if let inner = child.value as? any Error { return isDatabaseError(inner) }
            return false
        }
    }
}
