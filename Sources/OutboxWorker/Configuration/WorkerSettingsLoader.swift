import Configuration
import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient

/// What the `worker` executable hands the loader: the flags it parsed, the environment, and
/// whether `--simulator` was given.
public struct WorkerSettingsInput: Sendable {
    /// Flag values by configuration key (`lease` → `"90s"`), as typed. Secrets are refused here.
    public var flags: [String: String]
    /// `--deadline KIND=DURATION` values, in order (a later one for the same kind wins).
    public var deadlineFlags: [String]
    /// `--config`, which wins over `OUTBOX_CONFIG`.
    public var configFile: String?
    /// The process environment.
    public var environment: [String: String]
    /// Set with `--simulator`: the simulator's fake credentials.
    public var simulator: SimulatorTarget?
    /// The worker id used when none is configured.
    public var defaultWorkerID: String

    /// Creates an input.
    public init(
        flags: [String: String] = [:], deadlineFlags: [String] = [], configFile: String? = nil,
        environment: [String: String] = [:], simulator: SimulatorTarget? = nil,
        defaultWorkerID: String = WorkerSettingsLoader.defaultWorkerID()
    ) {
        self.flags = flags
        self.deadlineFlags = deadlineFlags
        self.configFile = configFile
        self.environment = environment
        self.simulator = simulator
        self.defaultWorkerID = defaultWorkerID
    }
}

/// Reads the worker's settings from flags, then environment variables, then the JSON file named
/// by `--config` / `OUTBOX_CONFIG` (first one that has a value wins), through one swift-configuration
/// `ConfigReader`, and validates every one of them. Refuses (``WorkerConfigurationError``) with every
/// missing or invalid setting named; never quotes a secret.
///
/// Safety rules: there is no default Paywall address; without `--simulator` both addresses and
/// both credential pairs are required; addresses must be https unless `allow_insecure_http`.
public struct WorkerSettingsLoader: Sendable {
    /// The input.
    public var input: WorkerSettingsInput

    /// Creates a loader.
    public init(_ input: WorkerSettingsInput) {
        self.input = input
    }

    /// `host:pid:random`.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host.isEmpty ? "host" : host):\(ProcessInfo.processInfo.processIdentifier):\(random)"
    }

    /// Loads and validates.
    public func load() throws(WorkerConfigurationError) -> WorkerSettings {
        var state = LoadState(input: input)
        return try state.load()
    }
}

/// The providers in precedence order, with names for messages.
private struct Sources {
    enum Kind { case flags, environment, file }
    var providers: [(kind: Kind, provider: any ConfigProvider)]
    var reader: ConfigReader
    var filePath: String?

    init(
        flags: [AbsoluteConfigKey: ConfigValue], environment: [String: String], file: [AbsoluteConfigKey: ConfigValue]?,
        filePath: String?
    ) {
        let secretVariables = Set(WorkerSetting.allWithDeadlines.filter(\.isSecret).map(\.environmentVariable))
        let env = KeyMappingProvider(
            upstream: EnvironmentVariablesProvider(
                environmentVariables: environment, secretsSpecifier: .specific(secretVariables))
        ) { key in
            key.components.first == "paywall" ? key : key.prepending(["outbox"])
        }
        var providers: [(Kind, any ConfigProvider)] = [
            (.flags, InMemoryProvider(name: "flags", values: flags)), (.environment, env),
        ]
        if let file { providers.append((.file, InMemoryProvider(name: "file", values: file))) }
        self.providers = providers
        self.reader = ConfigReader(providers: providers.map(\.1))
        self.filePath = filePath
    }

    /// The text of a setting and where it came from; empty text counts as absent.
    func text(_ setting: WorkerSetting) -> (String, SettingOrigin)? {
        let components = setting.key.split(separator: ".").map(String.init)
        guard let value = reader.string(forKey: ConfigKey(components), isSecret: setting.isSecret),
            !value.trimmingCharacters(in: .whitespaces).isEmpty
        else { return nil }
        for (kind, provider) in providers {
            guard let found = try? provider.value(forKey: AbsoluteConfigKey(components), type: .string).value,
                case .string(let text) = found.content, !text.trimmingCharacters(in: .whitespaces).isEmpty
            else { continue }
            switch kind {
            case .flags:
                let flag = setting.flagSpelling ?? "--\(setting.key)"
                // `--deadline sync_sale` names which of the repeated flags.
                let which = setting.key.hasPrefix("deadline.") ? " \(components[1])" : ""
                return (value, .flag(flag + which))
            case .environment: return (value, .environment(setting.environmentVariable))
            case .file: return (value, .file(key: setting.key, path: filePath ?? "?"))
            }
        }
        return (value, .defaulted)
    }
}

private struct LoadState {
    let input: WorkerSettingsInput
    var problems: [WorkerConfigurationError.Problem] = []
    var warnings: [String] = []
    var origins: [String: SettingOrigin] = [:]
    var sources: Sources! = nil

    init(input: WorkerSettingsInput) {
        self.input = input
    }

    mutating func problem(_ setting: WorkerSetting, _ message: String) {
        problems.append(.init(key: setting.key, message: message))
    }

    mutating func missing(_ setting: WorkerSetting, _ why: String = "is required") {
        problem(setting, "\(why): set \(setting.places)")
    }

    /// `OUTBOX_LEASE = "abc": reason` (the value left out for secrets).
    mutating func invalid(_ setting: WorkerSetting, _ origin: SettingOrigin, _ text: String, _ reason: String) {
        let shown = setting.isSecret ? "" : " = \"\(text)\""
        problem(setting, "\(origin)\(shown): \(reason)")
    }

    mutating func load() throws(WorkerConfigurationError) -> WorkerSettings {
        let flags = flagValues()
        let (file, path) = fileValues()
        sources = Sources(flags: flags, environment: input.environment, file: file, filePath: path)
        warnUnknownEnvironment()

        let simulator = input.simulator
        let allowInsecure = bool(.allowInsecureHTTP, default: false)
        let unknownFields: UnknownFieldPolicy =
            bool(.allowUnknownFields, default: false) ? .passThrough : .refuse
        if unknownFields == .passThrough {
            warnings.append(
                "allow_unknown_fields: payload keys Paywall's documented fields do not include are sent untouched (a misspelt field is not caught)"
            )
        }
        let logLevel: Logger.Level = choice(.logLevel, default: .info) { Logger.Level(rawValue: $0.lowercased()) }
        let logFormat: WorkerLogFormat = choice(.logFormat, default: .text) {
            WorkerLogFormat(rawValue: $0.lowercased())
        }
        var metricsAddress: MetricsAddress?
        if let (text, origin) = value(.metricsAddress), text.lowercased() != "off" {
            metricsAddress = MetricsAddress(parsing: text)
            if metricsAddress == nil {
                invalid(
                    .metricsAddress, origin, text,
                    "not an address; write host:port, [ipv6]:port or a bare port (for 127.0.0.1), e.g. 127.0.0.1:9464")
            }
        }
        var dbPath: String
        if let (text, origin) = value(.database) {
            dbPath = text
            origins[WorkerSetting.database.key] = origin
            // A password in a postgres:// URL is refused before anything logs or prints the URL
            // (exit 64); it belongs in PGPASSWORD or the file OUTBOX_DB_PASSWORD_FILE names.
            if DatabaseURL.carriesPassword(text) {
                problem(.database, "\(origin): \(DatabaseURL.passwordRefusal)")
                dbPath = ""
            }
        } else if simulator != nil {
            dbPath = "./outbox.sqlite"
            origins[WorkerSetting.database.key] = .simulator
        } else {
            missing(.database)
            dbPath = ""
        }
        let synchronous: OutboxStoreConfiguration.Synchronous = choice(.synchronous, default: .normal) {
            OutboxStoreConfiguration.Synchronous(rawValue: $0.uppercased())
        }

        // Paywall: addresses and credentials, unless the simulator provides them.
        var physical = SimulatorTarget.placeholderBaseURL
        var payment = SimulatorTarget.placeholderBaseURL
        var privateCredentials = PaywallCredentials(apiKey: "", apiClient: "")
        var publicCredentials = PaywallCredentials(apiKey: "", apiClient: "")
        let remoteSettings: [WorkerSetting] = [
            .physicalBaseURL, .paymentBaseURL, .privateAPIKey, .privateAPIClient, .publicAPIKey, .publicAPIClient,
        ]
        if let simulator {
            for setting in remoteSettings {
                if let (_, origin) = value(setting) {
                    warnings.append("--simulator: ignoring \(setting.key) from \(origin)")
                }
                origins[setting.key] = .simulator
            }
            privateCredentials = simulator.privateCredentials
            publicCredentials = simulator.publicCredentials
        } else {
            physical = url(.physicalBaseURL, allowInsecure: allowInsecure)
            payment = url(.paymentBaseURL, allowInsecure: allowInsecure)
            privateCredentials = PaywallCredentials(
                apiKey: secret(.privateAPIKey), apiClient: secret(.privateAPIClient))
            publicCredentials = PaywallCredentials(apiKey: secret(.publicAPIKey), apiClient: secret(.publicAPIClient))
        }
        let connectTimeout = duration(.connectTimeout, default: 5_000, minimum: 1)
        let requestTimeout = duration(.requestTimeout, default: 30_000, minimum: 1)
        if connectTimeout > requestTimeout {
            problem(
                .connectTimeout,
                "\(DurationText.format(millis: connectTimeout)) is longer than paywall.request_timeout (\(DurationText.format(millis: requestTimeout)))"
            )
        }
        let approveVariant: MarketplaceApproveVariant = choice(.approveVariant, default: .payment) {
            MarketplaceApproveVariant(rawValue: $0.lowercased())
        }

        let concurrency = integer(.concurrency, default: 8, range: 1...256)
        let lease = duration(.lease, default: 60_000, minimum: 1_000)
        if lease <= requestTimeout {
            problem(
                .lease,
                "\(DurationText.format(millis: lease)) must be longer than paywall.request_timeout (\(DurationText.format(millis: requestTimeout))), or another worker could take a command back while it is being sent"
            )
        }
        let backoffBase = duration(.backoffBase, default: 500, minimum: 1)
        let backoffFactor = number(.backoffFactor, default: 2, range: 1...100)
        let backoffCap = duration(.backoffCap, default: 60_000, minimum: 1)
        if backoffCap < backoffBase {
            problem(
                .backoffCap,
                "\(DurationText.format(millis: backoffCap)) is smaller than backoff.base (\(DurationText.format(millis: backoffBase)))"
            )
        }
        let maxAttempts = integer(.maxAttempts, default: 10, range: 1...1_000_000)
        let maxAge = duration(.maxAge, default: 24 * 3_600_000, minimum: 1_000)
        let rollbackMargin = duration(.rollbackMargin, default: 1_500, minimum: 0)
        let landingGrace = duration(.landingGrace, default: 30_000, minimum: 0)
        let shutdownGrace = duration(.shutdownGrace, default: 10_000, minimum: 0)
        let defaultFollow = PaymentFollowPolicy()
        let followHorizonSale = duration(.followHorizonSale, default: defaultFollow.horizons[.sale]!, minimum: 1_000)
        let followHorizonCancel = duration(.followHorizonCancel, default: defaultFollow.horizons[.cancel]!, minimum: 1_000)
        let followInterval = duration(.followInterval, default: defaultFollow.firstIntervalMillis, minimum: 0)
        let followIntervalCap = duration(.followIntervalCap, default: defaultFollow.capMillis, minimum: 1)
        if followInterval > 0, followIntervalCap < followInterval {
            problem(
                .followIntervalCap,
                "\(DurationText.format(millis: followIntervalCap)) is smaller than follow.interval (\(DurationText.format(millis: followInterval)))"
            )
        }
        var deadlines: [CommandKind: Int64] = [:]
        for kind in CommandKind.allCases {
            deadlines[kind] = duration(
                .deadline(kind), default: WorkerConfiguration.defaultDeadlines[kind] ?? 600_000, minimum: 1_000)
        }
        let workerID = workerIdentifier()
        let (callbackListener, callbackKeysFile) = callbackListenerSettings(simulator: simulator)

        guard problems.isEmpty else { throw WorkerConfigurationError(problems: problems) }
        let paywall = PaywallConfiguration(
            physicalBaseURL: physical, paymentBaseURL: payment, privateCredentials: privateCredentials,
            publicCredentials: publicCredentials, connectTimeout: .milliseconds(connectTimeout),
            requestTimeout: .milliseconds(requestTimeout), approveVariant: approveVariant, unknownFields: unknownFields)
        var configuration = WorkerConfiguration(
            store: OutboxStoreConfiguration(path: dbPath, synchronous: synchronous), paywall: paywall,
            workerID: workerID, concurrency: concurrency, leaseMillis: lease,
            backoff: Backoff(baseMillis: backoffBase, factor: backoffFactor, capMillis: backoffCap),
            maxAttempts: maxAttempts, maxAgeMillis: maxAge, deadlines: deadlines, rollbackMarginMillis: rollbackMargin,
            shutdownGraceMillis: shutdownGrace)
        configuration.landingGraceMillis = landingGrace
        configuration.follow = PaymentFollowPolicy(
            enabled: followInterval > 0, firstIntervalMillis: max(followInterval, 1), capMillis: followIntervalCap,
            horizons: [.sale: followHorizonSale, .cancel: followHorizonCancel])
        return WorkerSettings(
            configuration: configuration, logLevel: logLevel, logFormat: logFormat, metricsAddress: metricsAddress,
            allowInsecureHTTP: allowInsecure, simulator: simulator != nil, configFile: sources.filePath, origins: origins,
            warnings: warnings, callbackListener: callbackListener, callbackKeysFile: callbackKeysFile)
    }

    // MARK: Sources

    /// The flags as provider values, with `--deadline KIND=DURATION` spread into `deadline.KIND`.
    mutating func flagValues() -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        let known = Set(WorkerSetting.all.map(\.key))
        for (key, text) in input.flags {
            guard let setting = WorkerSetting.all.first(where: { $0.key == key }), known.contains(key) else {
                problems.append(.init(key: key, message: "not a setting"))
                continue
            }
            guard !setting.isSecret else {
                // The executable has no such flag; refuse anyway, without the value.
                problem(
                    setting,
                    "secrets are not accepted as flags (they show in ps); set \(setting.environmentVariable) or file key \"\(setting.key)\""
                )
                continue
            }
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(
                .string(text), isSecret: false)
        }
        let kinds = CommandKind.allCases.map(\.rawValue).joined(separator: ", ")
        for entry in input.deadlineFlags {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                problems.append(
                    .init(
                        key: "deadline",
                        message: "--deadline \"\(entry)\": expected KIND=DURATION, e.g. --deadline sync_sale=120s"))
                continue
            }
            let kindName = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            guard CommandKind(rawValue: kindName) != nil else {
                problems.append(
                    .init(
                        key: "deadline",
                        message: "--deadline \"\(entry)\": unknown kind \"\(parts[0])\" (kinds: \(kinds))"))
                continue
            }
            values[AbsoluteConfigKey(["deadline", kindName])] = ConfigValue(.string(parts[1]), isSecret: false)
        }
        return values
    }

    /// The configuration file (from `--config`, else `OUTBOX_CONFIG`) flattened to dotted keys.
    mutating func fileValues() -> ([AbsoluteConfigKey: ConfigValue]?, String?) {
        let fromFlag = input.configFile.flatMap { $0.isEmpty ? nil : $0 }
        let fromEnvironment = input.environment[WorkerSetting.configFileEnvironmentVariable].flatMap {
            $0.isEmpty ? nil : $0
        }
        guard let path = fromFlag ?? fromEnvironment else { return (nil, nil) }
        let named = fromFlag != nil ? "--config" : WorkerSetting.configFileEnvironmentVariable
        func refuse(_ message: String) -> ([AbsoluteConfigKey: ConfigValue]?, String?) {
            problems.append(.init(key: "config", message: "\(named) \(path): \(message)"))
            return (nil, path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return refuse("cannot read the file (missing or not readable)")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: Array(data))
        } catch {
            return refuse("not valid JSON (\(error))")
        }
        guard case .object = document else { return refuse("the top level must be a JSON object") }
        var flat: [String: String] = [:]
        var fileProblems: [String] = []
        func flatten(_ value: JSONValue, _ prefix: String) {
            switch value {
            case .object(let members):
                for member in members {
                    flatten(member.value, prefix.isEmpty ? member.key : "\(prefix).\(member.key)")
                }
            case .string(let text): flat[prefix] = text
            case .number(let literal): flat[prefix] = literal
            case .bool(let flag): flat[prefix] = flag ? "true" : "false"
            case .null: break
            case .array: fileProblems.append("key \"\(prefix)\": arrays are not accepted")
            }
        }
        flatten(document, "")
        let settings = Dictionary(uniqueKeysWithValues: WorkerSetting.allWithDeadlines.map { ($0.key, $0) })
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, text) in flat.sorted(by: { $0.key < $1.key }) {
            guard let setting = settings[key] else {
                fileProblems.append("unknown key \"\(key)\" (see worker --help or docs/worker.md)")
                continue
            }
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(
                .string(text), isSecret: setting.isSecret)
        }
        for message in fileProblems {
            problems.append(.init(key: "config", message: "\(named) \(path): \(message)"))
        }
        if values.keys.contains(where: { key in settings[key.components.joined(separator: ".")]?.isSecret == true }),
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
        {
            warnings.append(
                "\(path) holds secrets and is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        return (values, path)
    }

    mutating func warnUnknownEnvironment() {
        let known = Set(
            WorkerSetting.allWithDeadlines.map(\.environmentVariable) + [WorkerSetting.configFileEnvironmentVariable])
        for name in input.environment.keys.sorted()
        where (name.hasPrefix("OUTBOX_") || name.hasPrefix("PAYWALL_")) && !known.contains(name) {
            warnings.append("unknown environment variable \(name) ignored")
        }
    }

    // MARK: Typed reads

    mutating func value(_ setting: WorkerSetting) -> (String, SettingOrigin)? {
        guard let (text, origin) = sources.text(setting) else { return nil }
        origins[setting.key] = origin
        return (text.trimmingCharacters(in: .whitespaces), origin)
    }

    mutating func duration(_ setting: WorkerSetting, default defaultMillis: Int64, minimum: Int64) -> Int64 {
        guard let (text, origin) = value(setting) else { return defaultMillis }
        guard let millis = DurationText.parseMillis(text) else {
            invalid(
                setting, origin, text,
                "not a duration; write a number and a unit (ms, s, m, h, d), e.g. \(setting.example)")
            return defaultMillis
        }
        guard millis >= minimum else {
            invalid(setting, origin, text, "must be at least \(DurationText.format(millis: minimum))")
            return defaultMillis
        }
        return millis
    }

    mutating func integer(_ setting: WorkerSetting, default defaultValue: Int, range: ClosedRange<Int>) -> Int {
        guard let (text, origin) = value(setting) else { return defaultValue }
        guard let number = Int(text), range.contains(number) else {
            invalid(setting, origin, text, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return defaultValue
        }
        return number
    }

    mutating func number(_ setting: WorkerSetting, default defaultValue: Double, range: ClosedRange<Double>) -> Double {
        guard let (text, origin) = value(setting) else { return defaultValue }
        guard let number = Double(text), number.isFinite, range.contains(number) else {
            invalid(setting, origin, text, "must be a number from \(range.lowerBound) to \(range.upperBound)")
            return defaultValue
        }
        return number
    }

    mutating func bool(_ setting: WorkerSetting, default defaultValue: Bool) -> Bool {
        guard let (text, origin) = value(setting) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default:
            invalid(setting, origin, text, "must be true or false")
            return defaultValue
        }
    }

    mutating func choice<T>(_ setting: WorkerSetting, default defaultValue: T, _ parse: (String) -> T?) -> T {
        guard let (text, origin) = value(setting) else { return defaultValue }
        guard let parsed = parse(text) else {
            invalid(setting, origin, text, "must be one of: \(Self.choices[setting.key] ?? "")")
            return defaultValue
        }
        return parsed
    }

    static let choices: [String: String] = [
        WorkerSetting.logLevel.key: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "),
        WorkerSetting.synchronous.key: "normal, full",
        WorkerSetting.logFormat.key: WorkerLogFormat.allCases.map(\.rawValue).joined(separator: ", "),
        WorkerSetting.approveVariant.key: MarketplaceApproveVariant.allCases.map(\.rawValue).joined(separator: ", "),
    ]

    mutating func secret(_ setting: WorkerSetting) -> String {
        guard let (text, origin) = value(setting) else {
            missing(setting)
            return ""
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) {
            invalid(setting, origin, text, "contains spaces or control characters (value not shown)")
        }
        return text
    }

    mutating func url(_ setting: WorkerSetting, allowInsecure: Bool) -> String {
        guard let (text, origin) = value(setting) else {
            missing(setting, "is required (there is no default Paywall address)")
            return ""
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            invalid(setting, origin, text, "not an absolute URL like \(setting.example)")
            return text
        }
        if components.user != nil || components.password != nil {
            // Do not echo: the user part may be a credential.
            problem(setting, "\(origin): must not contain user:password (credentials go in PAYWALL_*_API_* variables)")
            return text
        }
        guard components.query == nil, components.fragment == nil else {
            invalid(setting, origin, text, "must not have a query or fragment")
            return text
        }
        switch scheme {
        case "https": break
        case "http":
            if !allowInsecure {
                invalid(
                    setting, origin, text,
                    "must be https:// (requests carry payment credentials); pass --allow-insecure-http (or OUTBOX_ALLOW_INSECURE_HTTP=true) only for a local test server"
                )
            }
        default:
            invalid(setting, origin, text, "scheme must be https")
        }
        var normalized = text
        while normalized.hasSuffix("/") { normalized.removeLast() }
        return normalized
    }

    /// The callback listener (`nil` without `callback.address`) and the keys file read. The keys
    /// come from `callback.keys` (environment or configuration file) and `callback.keys_file`
    /// together (with `--simulator`, also the simulator's signing key); a listener without any
    /// key, an unreadable keys file or a malformed entry is a problem. Keys are never quoted.
    mutating func callbackListenerSettings(simulator: SimulatorTarget?) -> (CallbackListenerConfiguration?, String?) {
        let address = value(.callbackAddress)
        let path = value(.callbackPath)
        let inline = value(.callbackKeys)
        let file = value(.callbackKeysFile)
        guard let (addressText, addressOrigin) = address else {
            let set = [(WorkerSetting.callbackPath, path), (.callbackKeys, inline), (.callbackKeysFile, file)]
                .compactMap { setting, value in value.map { "\(setting.key) (\($0.1))" } }
            if !set.isEmpty {
                warnings.append(
                    "\(set.joined(separator: ", ")) set but not callback.address: the callback listener is off")
            }
            return (nil, nil)
        }
        var host = ""
        var port = 0
        if let parsed = CallbackListenerConfiguration.parseAddress(addressText) {
            (host, port) = parsed
        } else {
            invalid(
                .callbackAddress, addressOrigin, addressText,
                "not host:port, e.g. \(WorkerSetting.callbackAddress.example)")
        }
        var pathText = CallbackListenerConfiguration.defaultPath
        if let (text, origin) = path {
            pathText = text
            if let reason = CallbackListenerConfiguration.pathProblem(text) {
                invalid(.callbackPath, origin, text, reason)
            }
        }
        var keys = CallbackKeys()
        if let (text, origin) = inline {
            do {
                keys = keys.merging(try CallbackKeys.parse(text))
            } catch {
                invalid(.callbackKeys, origin, text, "\(error) (keys not shown)")
            }
        }
        var filePath: String?
        if let (path, origin) = file {
            filePath = path
            if let data = FileManager.default.contents(atPath: path) {
                if let text = String(data: data, encoding: .utf8) {
                    do {
                        keys = keys.merging(try CallbackKeys.parse(text))
                    } catch {
                        problem(
                            .callbackKeysFile,
                            "\(origin) \(path): line \(error.entry): \(error.message) (keys not shown)")
                    }
                } else {
                    problem(.callbackKeysFile, "\(origin) \(path): not UTF-8 text")
                }
                if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
                {
                    warnings.append(
                        "\(path) holds callback keys and is readable by other users "
                            + "(mode \(String(mode, radix: 8))); chmod 600 it")
                }
            } else {
                problem(.callbackKeysFile, "\(origin) \(path): cannot read the file (missing or not readable)")
            }
        }
        if let simulator, !simulator.callbackKeys.isEmpty {
            keys = keys.merging(simulator.callbackKeys)
            if origins[WorkerSetting.callbackKeys.key] == nil { origins[WorkerSetting.callbackKeys.key] = .simulator }
        }
        if keys.isEmpty && !problems.contains(where: { $0.key.hasPrefix("callback.keys") }) {
            if inline == nil && file == nil {
                problem(
                    .callbackKeys,
                    "the callback listener (callback.address from \(addressOrigin)) needs at least one key to verify callbacks: set \(WorkerSetting.callbackKeys.environmentVariable) or --callback-keys-file (lines \"HashKeyType key\", e.g. 7 for the Physical POS Webhook Hash Key)"
                )
            } else {
                let sources = [inline.map { "\($0.1)" }, filePath].compactMap { $0 }.joined(separator: " and ")
                problem(
                    file != nil ? .callbackKeysFile : .callbackKeys,
                    "no key in \(sources) (only blank or # entries): the callback listener needs at least one")
            }
        }
        return (
            CallbackListenerConfiguration(host: host, port: port, path: pathText, keys: keys), filePath
        )
    }

    mutating func workerIdentifier() -> String {
        guard let (text, origin) = value(.workerID) else { return input.defaultWorkerID }
        if text.count > 128
            || text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " })
        {
            invalid(.workerID, origin, text, "must be at most 128 characters without spaces or control characters")
        }
        return text
    }
}
