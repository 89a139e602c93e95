import ArgumentParser
import Foundation
import Logging
import OutboxModel
import OutboxStore
import OutboxWorker
import PaywallClient
import PaywallSimulator
import ServiceLifecycle
import UnixSignals

/// `worker`: drains the outbox to Paywall. Thin: parse flags, load and validate settings
/// (``WorkerSettingsLoader``), bootstrap logging, run the services until SIGTERM/SIGINT.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Drains the paywall-outbox SQLite outbox to Paywall and records every outcome in the inbox.",
        discussion: """
            Settings come from flags, then environment variables, then a JSON file (--config or \
            OUTBOX_CONFIG); the first that has a value wins. Every option below names its environment \
            variable and file key. Nested file keys are JSON objects: {"backoff": {"base": "1s"}} or \
            "backoff.base": "1s". Durations need a unit: 500ms, 30s, 5m, 1h, 7d.

            Secrets (PAYWALL_PRIVATE_API_KEY, PAYWALL_PRIVATE_API_CLIENT, PAYWALL_PUBLIC_API_KEY, \
            PAYWALL_PUBLIC_API_CLIENT; file keys paywall.private_api_key, ...) come from the environment \
            or the file only, never from flags (flags show in ps). They are never printed: the \
            configuration summary logged at start shows <redacted>.

            There is no default Paywall address. Without --simulator, both base addresses and both \
            credential pairs are required, and the addresses must be https:// unless \
            --allow-insecure-http. A missing or invalid setting stops start-up with exit code 78 and a \
            message naming it.

            Try it without Paywall (a built-in simulator on 127.0.0.1, fake credentials, ./outbox.sqlite):

              worker --simulator --demo 12

            Production (systemd, Kubernetes: see docs/worker.md):

              export PAYWALL_PRIVATE_API_KEY=... PAYWALL_PRIVATE_API_CLIENT=...
              export PAYWALL_PUBLIC_API_KEY=... PAYWALL_PUBLIC_API_CLIENT=...
              worker --db /var/lib/outbox/outbox.sqlite \\
                --physical-base-url https://physical-api.example.com \\
                --payment-base-url https://test-payment-api.itspaywall.com \\
                --deadline sync_sale=120s --concurrency 16

            Paywall's payment callbacks (off unless --callback-address is set): the worker listens on \
            host:port and serves only POST on --callback-path (default /paywall/callback; everything else \
            404). Each body's Hash is verified with a webhook hash key for its HashKeyType; keys come \
            from OUTBOX_CALLBACK_KEYS ("7 key", comma-separated) and/or --callback-keys-file (one \
            "HashKeyType key" line each), never from flags; configure old and new key together during a \
            rotation. Verified callbacks are answered 200, refused ones 400 (401 for a wrong hash), and \
            a callback that cannot be recorded now 503. A listener without any key, or a keys file that \
            cannot be read, stops start-up with exit 78. In production put it behind your reverse proxy \
            (TLS, only the callback path forwarded):

              OUTBOX_CALLBACK_KEYS="7 $WEBHOOK_KEY" worker ... \\
                --callback-address 127.0.0.1:8080 --callback-path /paywall/callback

            Signals: the first SIGTERM or SIGINT shuts down gracefully (stop claiming, let in-flight sends \
            finish within --shutdown-grace, give back the rest, exit 0); a second one exits at once (130).

            Metrics and health: with --metrics-address 127.0.0.1:9464 the worker serves Prometheus text at \
            GET /metrics, liveness at GET /health (200 while the dispatch loop runs, paused or not) and \
            readiness at GET /ready (200 when the database is open, writable and at this binary's schema), \
            503 with a one-line reason otherwise; its own listener, off unless given (docs/monitoring.md).

            Logs: one line per event on stderr (timestamp, level, message, sorted key=value metadata), or \
            with --log-format json one JSON object per line with the same keys; the --simulator demo \
            prints one line per final outcome on stdout.

            Exit codes: 0 clean shutdown; 64 usage error (unknown flag, bad syntax, --demo without \
            --simulator, a postgres:// --db carrying a password); 70 runtime failure; 74 database error (cannot open or write the outbox, or its \
            file was replaced or deleted while running: restart); 78 configuration error, a missing \
            database (see --create-database) or a schema newer than this binary (an operator must act; \
            do not restart); 130 second signal (immediate exit).
            """,
        version: OutboxVersion.current)

    // MARK: Mode

    @Option(
        help: ArgumentHelp(
            "JSON configuration file (env OUTBOX_CONFIG). Example: --config /etc/outbox/worker.json", valueName: "path")
    )
    var config: String?

    @Flag(
        help:
            "Run against a built-in Paywall simulator on 127.0.0.1 (ephemeral port, fake credentials, Paywall's own status numbering); the database defaults to ./outbox.sqlite. Moves no money."
    )
    var simulator = false

    @Option(
        help: ArgumentHelp(
            "With --simulator: queue this many demo commands first (a mix of every kind) and exit once all have finished (implies --exit-when-idle). Example: --demo 12",
            valueName: "n"))
    var demo: Int?

    @Flag(help: "Exit (code 0) once no command is pending or in flight.")
    var exitWhenIdle = false

    @Flag(
        help:
            "Create the database when it does not exist (first setup). Without it (and without --simulator) a missing database stops start-up with exit 78, so a restart never runs silently on a new empty file; `outbox migrate --yes` also creates it."
    )
    var createDatabase = false

    @Flag(
        help:
            "Validate the configuration, print it (secrets redacted, with where each value came from) and exit: 0 if valid, 78 if not. Nothing is opened or sent."
    )
    var checkConfig = false

    @Flag(help: ArgumentHelp(Self.describe(.allowInsecureHTTP)))
    var allowInsecureHttp = false

    @Flag(help: ArgumentHelp(Self.describe(.allowUnknownFields)))
    var allowUnknownFields = false

    // MARK: Settings (all optional: an absent flag lets the environment or the file decide)

    @Option(help: Self.help(.database)) var db: String?
    @Option(help: Self.help(.physicalBaseURL)) var physicalBaseUrl: String?
    @Option(help: Self.help(.paymentBaseURL)) var paymentBaseUrl: String?
    @Option(help: Self.help(.connectTimeout)) var connectTimeout: String?
    @Option(help: Self.help(.requestTimeout)) var requestTimeout: String?
    @Option(help: Self.help(.approveVariant)) var approveVariant: String?
    @Option(help: Self.help(.concurrency)) var concurrency: String?
    @Option(help: Self.help(.lease)) var lease: String?
    @Option(help: Self.help(.backoffBase)) var backoffBase: String?
    @Option(help: Self.help(.backoffFactor)) var backoffFactor: String?
    @Option(help: Self.help(.backoffCap)) var backoffCap: String?
    @Option(help: Self.help(.maxAttempts)) var maxAttempts: String?
    @Option(help: Self.help(.maxAge)) var maxAge: String?
    @Option(
        help: ArgumentHelp(
            "Delivery deadline of a kind, KIND=DURATION, repeatable (env OUTBOX_DEADLINE_<KIND>, e.g. OUTBOX_DEADLINE_SYNC_SALE; file key deadline.<kind>). Defaults: sales 3m, follow-ups and pairing 10m, marketplace_approve 7d. Example: --deadline sync_sale=120s",
            valueName: "kind=duration"))
    var deadline: [String] = []
    @Option(help: Self.help(.rollbackMargin)) var rollbackMargin: String?
    @Option(help: Self.help(.landingGrace)) var landingGrace: String?
    @Option(help: Self.help(.followHorizonSale)) var followHorizonSale: String?
    @Option(help: Self.help(.followHorizonCancel)) var followHorizonCancel: String?
    @Option(help: Self.help(.followInterval)) var followInterval: String?
    @Option(help: Self.help(.followIntervalCap)) var followIntervalCap: String?
    @Option(help: Self.help(.shutdownGrace)) var shutdownGrace: String?
    @Option(help: Self.help(.synchronous)) var synchronous: String?
    @Option(help: Self.help(.workerID)) var workerId: String?
    @Option(help: Self.help(.logLevel)) var logLevel: String?
    @Option(help: Self.help(.logFormat)) var logFormat: String?
    @Option(help: Self.help(.callbackAddress)) var callbackAddress: String?
    @Option(help: Self.help(.callbackPath)) var callbackPath: String?
    @Option(help: Self.help(.callbackKeysFile)) var callbackKeysFile: String?
    @Option(help: Self.help(.metricsAddress)) var metricsAddress: String?

    static func describe(_ setting: WorkerSetting) -> String {
        var text = setting.help
        text += " (env \(setting.environmentVariable); file key \(setting.key)"
        if let defaultText = setting.defaultText { text += "; default \(defaultText)" }
        text += ")"
        if let flag = setting.flagSpelling {
            text +=
                " Example: \(flag)\(setting.isSwitch ? "" : " \(setting.example)")"
        }
        return text
    }

    static func help(_ setting: WorkerSetting) -> ArgumentHelp {
        ArgumentHelp(describe(setting), valueName: valueNames[setting.key] ?? "duration")
    }

    static let valueNames: [String: String] = [
        "db": "path", "paywall.physical_base_url": "url", "paywall.payment_base_url": "url",
        "paywall.approve_variant": "payment|pw|self", "concurrency": "n",
        "backoff.factor": "x", "max_attempts": "n", "synchronous": "normal|full", "worker_id": "id",
        "log_level": "level", "log_format": "text|json", "metrics_address": "host:port",
        "callback.address": "host:port", "callback.path": "path", "callback.keys_file": "path",
    ]

    func validate() throws {
        if demo != nil, !simulator {
            throw ValidationError(
                "--demo queues fake commands and needs --simulator (it would otherwise send them to Paywall)")
        }
        if let demo, !(1...10_000).contains(demo) {
            throw ValidationError("--demo must be from 1 to 10000")
        }
    }

    /// The flags as configuration keys (what the user typed; the loader validates).
    var flagValues: [String: String] {
        let pairs: [(WorkerSetting, String?)] = [
            (.database, db), (.physicalBaseURL, physicalBaseUrl), (.paymentBaseURL, paymentBaseUrl),
            (.connectTimeout, connectTimeout), (.requestTimeout, requestTimeout), (.approveVariant, approveVariant),
            (.concurrency, concurrency), (.lease, lease), (.backoffBase, backoffBase),
            (.backoffFactor, backoffFactor), (.backoffCap, backoffCap), (.maxAttempts, maxAttempts), (.maxAge, maxAge),
            (.rollbackMargin, rollbackMargin), (.landingGrace, landingGrace),
            (.followHorizonSale, followHorizonSale), (.followHorizonCancel, followHorizonCancel),
            (.followInterval, followInterval), (.followIntervalCap, followIntervalCap), (.shutdownGrace, shutdownGrace), (.synchronous, synchronous),
            (.workerID, workerId), (.logLevel, logLevel), (.logFormat, logFormat), (.metricsAddress, metricsAddress),
            (.allowInsecureHTTP, allowInsecureHttp ? "true" : nil),
            (.allowUnknownFields, allowUnknownFields ? "true" : nil), (.callbackAddress, callbackAddress),
            (.callbackPath, callbackPath), (.callbackKeysFile, callbackKeysFile),
        ]
        var values: [String: String] = [:]
        for (setting, value) in pairs {
            if let value { values[setting.key] = value }
        }
        return values
    }

    /// Before anything opens a descriptor: a closed stdin, stdout or stderr gets `/dev/null`, so a
    /// database file or Paywall socket never takes its number and receives log lines; and a log
    /// or outcome pipe whose reader went away must not kill the worker: SIGPIPE is ignored, the
    /// write fails with EPIPE and the line is dropped (``LineWriter``).
    static func main() async {
        LineWriter.guardStandardDescriptors()
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }

    func run() async throws {
        let simulatorCredentials = SimulatorCredentials()
        let input = WorkerSettingsInput(
            flags: flagValues, deadlineFlags: deadline, configFile: config,
            environment: ProcessInfo.processInfo.environment,
            simulator: simulator
                ? SimulatorTarget(
                    privateCredentials: PaywallCredentials(
                        apiKey: simulatorCredentials.privateKey, apiClient: simulatorCredentials.privateClient),
                    publicCredentials: PaywallCredentials(
                        apiKey: simulatorCredentials.publicKey, apiClient: simulatorCredentials.publicClient),
                    // The in-process simulator's signing key, so --callback-address works with it.
                    callbackKeys: SimulatorConfiguration().callbackHashKey.map {
                        CallbackKeys([(keyType: CallbackHash.keyType, key: $0)])
                    } ?? CallbackKeys())
                : nil)
        var settings: WorkerSettings
        do {
            settings = try WorkerSettingsLoader(input).load()
        } catch {
            LineWriter.write("worker: \(error)\n", to: STDERR_FILENO)
            throw ExitCode(error.isUsage ? WorkerExitCode.usage : WorkerExitCode.configuration)
        }

        if checkConfig {
            var lines = settings.summary.map { "\($0.key) = \($0.value)  (\($0.origin))" }
            lines += settings.warnings.map { "warning: \($0)" }
            if let failure = LineWriter.write(lines.joined(separator: "\n") + "\n", to: STDOUT_FILENO) {
                LineWriter.write(
                    "worker: cannot write the settings: \(String(cString: strerror(failure)))\n", to: STDERR_FILENO)
                throw ExitCode(WorkerExitCode.software)
            }
            return
        }

        let level = settings.logLevel
        switch settings.logFormat {
        case .text: LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level) }
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        }
        let logger = Logger(label: "worker")
        logger.info("Worker configuration", metadata: settings.summaryMetadata)
        for warning in settings.warnings {
            logger.warning("Configuration warning", metadata: ["config.warning": .string(warning)])
        }

        let exitCode = await WorkerRunner(
            settings: settings, demoCount: demo, exitWhenIdle: exitWhenIdle || demo != nil,
            createDatabase: createDatabase, logger: logger
        ).run()
        if exitCode != WorkerExitCode.success {
            throw ExitCode(exitCode)
        }
    }
}
