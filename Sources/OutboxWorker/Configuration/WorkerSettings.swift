import Logging
import OutboxModel
import PaywallClient

/// Where a setting's value came from.
public enum SettingOrigin: Sendable, Hashable, CustomStringConvertible {
    /// A command-line flag (`--lease`).
    case flag(String)
    /// An environment variable (`OUTBOX_LEASE`).
    case environment(String)
    /// A key of the configuration file (key, file path).
    case file(key: String, path: String)
    /// The documented default.
    case defaulted
    /// Set by `--simulator` (addresses, fake credentials, status policy).
    case simulator

    /// `--lease`, `OUTBOX_LEASE`, `file key "lease" in /etc/outbox.json`, `default`, `--simulator`.
    public var description: String {
        switch self {
        case .flag(let flag): flag
        case .environment(let name): name
        case .file(let key, let path): "file key \"\(key)\" in \(path)"
        case .defaulted: "default"
        case .simulator: "--simulator"
        }
    }
}

/// The fake credentials of an in-process simulator (they are not secrets).
public struct SimulatorTarget: Sendable {
    /// The private pair the simulator accepts.
    public var privateCredentials: PaywallCredentials
    /// The public pair the simulator accepts.
    public var publicCredentials: PaywallCredentials
    /// The key the simulator signs its callbacks with: added to the callback listener's keys.
    public var callbackKeys: CallbackKeys

    /// Creates a target.
    public init(
        privateCredentials: PaywallCredentials, publicCredentials: PaywallCredentials,
        callbackKeys: CallbackKeys = CallbackKeys()
    ) {
        self.privateCredentials = privateCredentials
        self.publicCredentials = publicCredentials
        self.callbackKeys = callbackKeys
    }

    /// The base address used until the simulator has bound its port.
    public static let placeholderBaseURL = "http://127.0.0.1:0"
}

/// How the `worker` executable writes its log lines on stderr (setting `log_format`).
public enum WorkerLogFormat: String, Sendable, Hashable, CaseIterable {
    /// `timestamp level "message" key=value ...`, one line per event (the default).
    case text
    /// One JSON object per line with the same keys, for log aggregators.
    case json
}

/// The `worker` executable's resolved settings: the ``WorkerConfiguration`` plus what only the
/// executable uses (log level, mode), and where every value came from.
public struct WorkerSettings: Sendable {
    /// The worker's configuration.
    public var configuration: WorkerConfiguration
    /// The log level.
    public var logLevel: Logger.Level
    /// The log line format.
    public var logFormat: WorkerLogFormat = .text
    /// Where to serve `/metrics`, `/health` and `/ready`; nil: not served.
    public var metricsAddress: MetricsAddress? = nil
    /// Whether http:// base addresses were allowed.
    public var allowInsecureHTTP: Bool
    /// Whether the worker talks to the in-process simulator.
    public var simulator: Bool
    /// The configuration file read, if any.
    public var configFile: String?
    /// Where each setting came from, by key.
    public var origins: [String: SettingOrigin]
    /// Things worth telling the operator at start (ignored settings, unknown variables).
    public var warnings: [String]
    /// The callback listener, `nil` when it is off (no `callback.address`).
    public var callbackListener: CallbackListenerConfiguration? = nil
    /// The keys file the callback keys were read from, if any.
    public var callbackKeysFile: String? = nil

    /// A copy pointing both APIs at the simulator listening at `baseURL`.
    public func pointingAtSimulator(baseURL: String) -> WorkerSettings {
        var copy = self
        copy.configuration.paywall.physicalBaseURL = baseURL
        copy.configuration.paywall.paymentBaseURL = baseURL
        return copy
    }

    /// Every setting as `(key, value, origin)`, in ``WorkerSetting/allWithDeadlines`` order.
    /// Secrets show `<redacted>` (or `<missing>`), never their value.
    public var summary: [(key: String, value: String, origin: SettingOrigin)] {
        let c = configuration
        let p = c.paywall
        func secret(_ value: PaywallSecret) -> String { value.isEmpty ? "<missing>" : "<redacted>" }
        var values: [String: String] = [
            WorkerSetting.database.key: c.store.path,
            WorkerSetting.physicalBaseURL.key: p.physicalBaseURL,
            WorkerSetting.paymentBaseURL.key: p.paymentBaseURL,
            WorkerSetting.privateAPIKey.key: secret(p.privateCredentials.apiKey),
            WorkerSetting.privateAPIClient.key: secret(p.privateCredentials.apiClient),
            WorkerSetting.publicAPIKey.key: secret(p.publicCredentials.apiKey),
            WorkerSetting.publicAPIClient.key: secret(p.publicCredentials.apiClient),
            WorkerSetting.connectTimeout.key: DurationText.format(millis: Self.millis(p.connectTimeout)),
            WorkerSetting.requestTimeout.key: DurationText.format(millis: Self.millis(p.requestTimeout)),
            WorkerSetting.approveVariant.key: p.approveVariant.rawValue,
            WorkerSetting.concurrency.key: "\(c.concurrency)",
            WorkerSetting.lease.key: DurationText.format(millis: c.leaseMillis),
            WorkerSetting.backoffBase.key: DurationText.format(millis: c.backoff.baseMillis),
            WorkerSetting.backoffFactor.key: "\(c.backoff.factor)",
            WorkerSetting.backoffCap.key: DurationText.format(millis: c.backoff.capMillis),
            WorkerSetting.maxAttempts.key: "\(c.maxAttempts)",
            WorkerSetting.maxAge.key: DurationText.format(millis: c.maxAgeMillis),
            WorkerSetting.rollbackMargin.key: DurationText.format(millis: c.rollbackMarginMillis),
            WorkerSetting.landingGrace.key: DurationText.format(millis: c.landingGraceMillis),
            WorkerSetting.followHorizonSale.key: DurationText.format(millis: c.follow.horizons[.sale] ?? 0),
            WorkerSetting.followHorizonCancel.key: DurationText.format(millis: c.follow.horizons[.cancel] ?? 0),
            WorkerSetting.followInterval.key: c.follow.enabled ? DurationText.format(millis: c.follow.firstIntervalMillis) : "0 (off)",
            WorkerSetting.followIntervalCap.key: DurationText.format(millis: c.follow.capMillis),
            WorkerSetting.shutdownGrace.key: DurationText.format(millis: c.shutdownGraceMillis),
            WorkerSetting.synchronous.key: c.store.synchronous.rawValue.lowercased(),
            WorkerSetting.workerID.key: c.workerID,
            WorkerSetting.logLevel.key: logLevel.rawValue,
            WorkerSetting.logFormat.key: logFormat.rawValue,
            WorkerSetting.metricsAddress.key: metricsAddress.map(\.description) ?? "off",
            WorkerSetting.allowInsecureHTTP.key: "\(allowInsecureHTTP)",
            WorkerSetting.allowUnknownFields.key: "\(p.unknownFields == .passThrough)",
            WorkerSetting.callbackAddress.key: callbackListener?.addressText ?? "off",
            WorkerSetting.callbackPath.key: callbackListener?.path ?? CallbackListenerConfiguration.defaultPath,
            WorkerSetting.callbackKeysFile.key: callbackKeysFile ?? "none",
            WorkerSetting.callbackKeys.key: origins[WorkerSetting.callbackKeys.key] == nil ? "none" : "<redacted>",
        ]
        for kind in CommandKind.allCases {
            values[WorkerSetting.deadline(kind).key] =
                c.deadlines[kind].map { DurationText.format(millis: $0) } ?? "none"
        }
        return WorkerSetting.allWithDeadlines.map { setting in
            (setting.key, values[setting.key] ?? "", origins[setting.key] ?? .defaulted)
        }
    }

    /// The summary as log metadata: `config.<key>` = `value (origin)`.
    public var summaryMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for entry in summary {
            let origin = entry.origin == .defaulted ? "" : " (\(entry.origin))"
            metadata["config.\(entry.key)"] = .string("\(entry.value)\(origin)")
        }
        if let configFile { metadata["config.file"] = .string(configFile) }
        return metadata
    }

    static func millis(_ duration: Duration) -> Int64 { duration.wholeMilliseconds }
}
