import OutboxModel

/// One setting of the `worker` executable and the three places it can come from: a flag, an
/// environment variable and a key of the JSON configuration file. The configuration key is the
/// file key (dotted path); the environment variable is derived from it (see ``environmentVariable``).
///
/// The list ``WorkerSetting/all`` drives the loader, `--help`, the start-up summary and
/// docs/worker.md, so a setting is described once.
public struct WorkerSetting: Sendable, Hashable {
    /// The configuration key and JSON file key, e.g. `backoff.base` or `paywall.private_api_key`.
    public var key: String
    /// The flag without dashes (`backoff-base`), or nil for secrets (flags show in `ps`).
    public var flag: String?
    /// Whether the value is a secret: never accepted as a flag, never printed.
    public var isSecret: Bool
    /// The default as written in a flag, or nil when required (or computed).
    public var defaultText: String?
    /// What it means.
    public var help: String
    /// An example value.
    public var example: String

    /// Creates a setting.
    public init(
        key: String, flag: String?, isSecret: Bool = false, defaultText: String?, help: String, example: String
    ) {
        self.key = key
        self.flag = flag
        self.isSecret = isSecret
        self.defaultText = defaultText
        self.help = help
        self.example = example
    }

    /// The environment variable: `PAYWALL_` + the rest for `paywall.*` keys, `OUTBOX_` + the key
    /// otherwise, uppercased, dots as underscores (`backoff.base` → `OUTBOX_BACKOFF_BASE`).
    public var environmentVariable: String { Self.environmentVariable(forKey: key) }

    /// `--flag`, or nil.
    public var flagSpelling: String? { flag.map { "--\($0)" } }

    /// Every place the setting can be given, for messages: `--lease, OUTBOX_LEASE or file key "lease"`.
    public var places: String {
        var parts: [String] = []
        if let flagSpelling { parts.append(flagSpelling) }
        parts.append(environmentVariable)
        parts.append("file key \"\(key)\"")
        if parts.count == 3 { return "\(parts[0]), \(parts[1]) or \(parts[2])" }
        return "\(parts[0]) or \(parts[1])"
    }

    /// The environment variable for a configuration key.
    public static func environmentVariable(forKey key: String) -> String {
        let mapped = key.hasPrefix("paywall.") ? key : "outbox.\(key)"
        return mapped.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }
}

extension WorkerSetting {
    /// The database file.
    public static let database = WorkerSetting(
        key: "db", flag: "db", defaultText: nil,
        help:
            "Path of the outbox SQLite database (created and migrated if missing), or a postgres://user@host:port/database URL (migrated if behind; the password from PGPASSWORD or the file OUTBOX_DB_PASSWORD_FILE names, never in the URL: exit 64). Required, except with --simulator (./outbox.sqlite).",
        example: "/var/lib/outbox/outbox.sqlite")
    /// Physical POS API base address.
    public static let physicalBaseURL = WorkerSetting(
        key: "paywall.physical_base_url", flag: "physical-base-url", defaultText: nil,
        help:
            "Base address of Paywall's Physical POS API. Required (no default: nothing is sent anywhere unless you say where); https unless --allow-insecure-http.",
        example: "https://physical-api.example.com")
    /// PaymentAPI base address.
    public static let paymentBaseURL = WorkerSetting(
        key: "paywall.payment_base_url", flag: "payment-base-url", defaultText: nil,
        help:
            "Base address of Paywall's PaymentAPI (marketplace approve). Required; https unless --allow-insecure-http.",
        example: "https://test-payment-api.itspaywall.com")
    /// Private API key.
    public static let privateAPIKey = WorkerSetting(
        key: "paywall.private_api_key", flag: nil, isSecret: true, defaultText: nil,
        help: "The private API key (header apikeyprivate). Secret: environment or file only. Required.",
        example: "<from the Paywall panel>")
    /// Private API client.
    public static let privateAPIClient = WorkerSetting(
        key: "paywall.private_api_client", flag: nil, isSecret: true, defaultText: nil,
        help: "The private API client (header apiclientprivate). Secret: environment or file only. Required.",
        example: "<from the Paywall panel>")
    /// Public API key.
    public static let publicAPIKey = WorkerSetting(
        key: "paywall.public_api_key", flag: nil, isSecret: true, defaultText: nil,
        help:
            "The public API key (header apikeypublic, marketplace approve). Secret: environment or file only. Required.",
        example: "<from the Paywall panel>")
    /// Public API client.
    public static let publicAPIClient = WorkerSetting(
        key: "paywall.public_api_client", flag: nil, isSecret: true, defaultText: nil,
        help: "The public API client (header apiclientpublic). Secret: environment or file only. Required.",
        example: "<from the Paywall panel>")
    /// Connect timeout.
    public static let connectTimeout = WorkerSetting(
        key: "paywall.connect_timeout", flag: "connect-timeout", defaultText: "5s",
        help: "How long a TCP/TLS connection to Paywall may take (a failure within it means nothing was sent).",
        example: "3s")
    /// Request timeout.
    public static let requestTimeout = WorkerSetting(
        key: "paywall.request_timeout", flag: "request-timeout", defaultText: "30s",
        help:
            "Deadline of a whole Paywall request; past it the outcome is unknown and is reconciled. Must be shorter than the lease.",
        example: "20s")
    /// Approve variant.
    public static let approveVariant = WorkerSetting(
        key: "paywall.approve_variant", flag: "approve-variant", defaultText: "payment",
        help:
            "Marketplace approve endpoint: payment (/approve/payment, the older route; default), pw (/approve/pw/payment) or self (/approve/self/payment). Paywall's current docs list only pw and self; ask Paywall which your account uses.",
        example: "pw")
    /// Concurrency.
    public static let concurrency = WorkerSetting(
        key: "concurrency", flag: "concurrency", defaultText: "8",
        help: "Commands sent at the same time (1...256).", example: "16")
    /// Lease.
    public static let lease = WorkerSetting(
        key: "lease", flag: "lease", defaultText: "60s",
        help:
            "How long a claim lasts before another worker may take the command back (after reconciling). Longer than --request-timeout.",
        example: "90s")
    /// Backoff base.
    public static let backoffBase = WorkerSetting(
        key: "backoff.base", flag: "backoff-base", defaultText: "500ms",
        help: "First retry ceiling after a transient failure (full jitter: a random wait up to it).", example: "1s")
    /// Backoff factor.
    public static let backoffFactor = WorkerSetting(
        key: "backoff.factor", flag: "backoff-factor", defaultText: "2",
        help: "Growth of the retry ceiling per attempt (>= 1).", example: "1.5")
    /// Backoff cap.
    public static let backoffCap = WorkerSetting(
        key: "backoff.cap", flag: "backoff-cap", defaultText: "60s",
        help: "Largest retry ceiling (>= --backoff-base).", example: "5m")
    /// Max attempts.
    public static let maxAttempts = WorkerSetting(
        key: "max_attempts", flag: "max-attempts", defaultText: "10",
        help: "Sends after which a command that keeps failing transiently ends dead.", example: "20")
    /// Max age.
    public static let maxAge = WorkerSetting(
        key: "max_age", flag: "max-age", defaultText: "24h",
        help: "Age (since created_at) after which a command that keeps failing transiently ends dead.", example: "2d")
    /// Rollback margin.
    public static let landingGrace = WorkerSetting(
        key: "landing_grace", flag: "landing-grace", defaultText: "30s",
        help: "How long after a lost send's request timeout Paywall may still act on it: a sale is resent (same MerchantUniqueCode) only after a complete payment-list scan taken this long after the timeout shows Paywall does not have it.",
        example: "60s")

    public static let rollbackMargin = WorkerSetting(
        key: "rollback_margin", flag: "rollback-margin", defaultText: "1500ms",
        help: "Extra wait after Paywall's 5 s rollback window before a rollback is sent.", example: "2s")
    /// How long a sale's payment activity is followed without a final status.
    public static let followHorizonSale = WorkerSetting(
        key: "follow.horizon_sale", flag: "follow-horizon-sale", defaultText: "24h",
        help: "How long an accepted sale is followed to its final payment status (paid, declined, rolled back) before the inbox says unresolved; a final status confirmed later (a callback brings a read) is still written.",
        example: "48h")
    /// The same for a cancel.
    public static let followHorizonCancel = WorkerSetting(
        key: "follow.horizon_cancel", flag: "follow-horizon-cancel", defaultText: "24h",
        help: "How long an accepted cancel is followed to its final status before the inbox says unresolved.",
        example: "48h")
    /// The first wait and backoff step of payment status reads.
    public static let followInterval = WorkerSetting(
        key: "follow.interval", flag: "follow-interval", defaultText: "2s",
        help: "Wait before the first payment status read after a sale or cancel is accepted; the wait doubles after each read up to --follow-interval-cap. 0 switches following off.",
        example: "5s")
    /// The largest backoff step of payment status reads.
    public static let followIntervalCap = WorkerSetting(
        key: "follow.interval_cap", flag: "follow-interval-cap", defaultText: "5m",
        help: "The longest wait between two payment status reads of one payment.", example: "10m")
    /// Shutdown grace.
    public static let shutdownGrace = WorkerSetting(
        key: "shutdown_grace", flag: "shutdown-grace", defaultText: "10s",
        help:
            "On SIGTERM/SIGINT, how long in-flight sends may take to finish before they are cancelled. Keep the supervisor's stop timeout larger.",
        example: "20s")
    /// Synchronous.
    public static let synchronous = WorkerSetting(
        key: "synchronous", flag: "synchronous", defaultText: "normal",
        help: "SQLite synchronous for the worker's connections: normal or full.", example: "full")
    /// Worker id.
    public static let workerID = WorkerSetting(
        key: "worker_id", flag: "worker-id", defaultText: "host:pid:random",
        help: "This worker's lease owner name; unique per process.", example: "till-server-1")
    /// Log level.
    public static let logLevel = WorkerSetting(
        key: "log_level", flag: "log-level", defaultText: "info",
        help: "trace, debug, info, notice, warning, error or critical.", example: "debug")
    /// Log format.
    public static let logFormat = WorkerSetting(
        key: "log_format", flag: "log-format", defaultText: "text",
        help:
            "Log lines on stderr: text (timestamp level \"message\" key=value ..., one line per event) or json (one JSON object per line: timestamp, level, message, label and the same metadata keys).",
        example: "json")
    /// Metrics, health and readiness listener.
    public static let metricsAddress = WorkerSetting(
        key: "metrics_address", flag: "metrics-address", defaultText: "off",
        help:
            "Serve Prometheus metrics (GET /metrics), liveness (GET /health) and readiness (GET /ready) over plain HTTP on this address: host:port, [ipv6]:port, or a bare port for 127.0.0.1 (port 0: any free port, logged). Its own listener, never a public one; off unless given. See docs/monitoring.md.",
        example: "127.0.0.1:9464")
    /// Insecure HTTP.
    public static let allowInsecureHTTP = WorkerSetting(
        key: "allow_insecure_http", flag: "allow-insecure-http", defaultText: "false",
        help:
            "Accept http:// base addresses (a local test Paywall). Without it both must be https://. Flag, or true/false in the environment or file.",
        example: "true")
    /// Unknown payload fields.
    public static let allowUnknownFields = WorkerSetting(
        key: "allow_unknown_fields", flag: "allow-unknown-fields", defaultText: "false",
        help:
            "Send payload keys that Paywall's documented fields do not include, untouched: the escape hatch for a field Paywall accepts that this version does not know yet. Without it such a command ends failed (reason validation, the key named: a misspelt CallbackAdress is never sent). Known fields are checked either way. Flag, or true/false in the environment or file.",
        example: "true")

    /// Callback listener address.
    public static let callbackAddress = WorkerSetting(
        key: "callback.address", flag: "callback-address", defaultText: "off",
        help:
            "Receive Paywall's payment callbacks on this host:port (HTTP; in production behind your reverse proxy, which terminates TLS and forwards only the callback path). Without it the callback listener is off. Needs at least one key (callback.keys or callback.keys_file).",
        example: "127.0.0.1:8080")
    /// Callback listener path.
    public static let callbackPath = WorkerSetting(
        key: "callback.path", flag: "callback-path", defaultText: CallbackListenerConfiguration.defaultPath,
        help:
            "The one path the callback listener serves (POST only; every other path 404). Use it in the sales' CallbackAddress.",
        example: "/paywall/callback")
    /// Callback keys file.
    public static let callbackKeysFile = WorkerSetting(
        key: "callback.keys_file", flag: "callback-keys-file", defaultText: nil,
        help:
            "File of webhook hash keys, one \"HashKeyType key\" line each (7 = Physical POS Webhook Hash Key; several lines for one type during a key rotation; # comments). Keep it chmod 600.",
        example: "/etc/paywall-outbox/callback-keys")
    /// Callback keys (secret).
    public static let callbackKeys = WorkerSetting(
        key: "callback.keys", flag: nil, isSecret: true, defaultText: nil,
        help:
            "Webhook hash keys as \"HashKeyType key\" entries separated by commas or newlines, e.g. \"7 <old>,7 <new>\". Secret: environment or file only; added to those of callback.keys_file.",
        example: "7 <from the Paywall panel>")

    /// Whether a setting is an on/off switch (a flag without a value).
    public var isSwitch: Bool { defaultText == "false" }

    /// The per-kind delivery deadline setting of `kind` (`deadline.sync_sale`).
    public static func deadline(_ kind: CommandKind) -> WorkerSetting {
        let defaultMillis = WorkerConfiguration.defaultDeadlines[kind] ?? 0
        return WorkerSetting(
            key: "deadline.\(kind.rawValue)", flag: "deadline", defaultText: DurationText.format(millis: defaultMillis),
            help: "How long after creation a \(kind.rawValue) may still be delivered (the row's own deadline wins).",
            example: "\(kind.rawValue)=120s")
    }

    /// Every setting except the per-kind deadlines, in the order of the summary.
    public static let all: [WorkerSetting] = [
        database, physicalBaseURL, paymentBaseURL, privateAPIKey, privateAPIClient, publicAPIKey, publicAPIClient,
        connectTimeout, requestTimeout, approveVariant, concurrency, lease, backoffBase, backoffFactor,
        backoffCap, maxAttempts, maxAge, rollbackMargin, landingGrace, followHorizonSale, followHorizonCancel,
        followInterval, followIntervalCap, shutdownGrace, synchronous, workerID, logLevel,
        logFormat, metricsAddress, allowInsecureHTTP, allowUnknownFields, callbackAddress, callbackPath, callbackKeysFile,
        callbackKeys,
    ]

    /// Every setting including one deadline per kind.
    public static var allWithDeadlines: [WorkerSetting] { all + CommandKind.allCases.map(deadline) }

    /// The environment variable that names the configuration file.
    public static let configFileEnvironmentVariable = "OUTBOX_CONFIG"
}
