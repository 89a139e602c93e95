import Foundation
import OutboxModel
import OutboxWorker
import PaywallClient
import Testing
import OutboxTestSupport

/// Fake secrets: distinctive so a leak anywhere is found by a substring search.
let secretValues = ["PRIV-KEY-s3cr3t-1111", "PRIV-CLIENT-s3cr3t-2222", "PUB-KEY-s3cr3t-3333", "PUB-CLIENT-s3cr3t-4444"]

/// A complete, valid production environment.
let validEnvironment: [String: String] = [
    "OUTBOX_DB": "/tmp/outbox-test.sqlite",
    "PAYWALL_PHYSICAL_BASE_URL": "https://physical.example.com",
    "PAYWALL_PAYMENT_BASE_URL": "https://payment.example.com/",
    "PAYWALL_PRIVATE_API_KEY": secretValues[0],
    "PAYWALL_PRIVATE_API_CLIENT": secretValues[1],
    "PAYWALL_PUBLIC_API_KEY": secretValues[2],
    "PAYWALL_PUBLIC_API_CLIENT": secretValues[3],
]

func load(
    flags: [String: String] = [:], deadlines: [String] = [], environment: [String: String] = validEnvironment,
    file: String? = nil, simulator: Bool = false
) throws(WorkerConfigurationError) -> WorkerSettings {
    var configFile: String?
    if let file {
        let path = Scratch.url("worker", suffix: ".json")
            .path
        FileManager.default.createFile(atPath: path, contents: Data(file.utf8), attributes: [.posixPermissions: 0o600])
        configFile = path
    }
    let target =
        simulator
        ? SimulatorTarget(
            privateCredentials: PaywallCredentials(apiKey: "sim-private-key", apiClient: "sim-private-client"),
            publicCredentials: PaywallCredentials(apiKey: "sim-public-key", apiClient: "sim-public-client")) : nil
    return try WorkerSettingsLoader(
        WorkerSettingsInput(
            flags: flags, deadlineFlags: deadlines, configFile: configFile, environment: environment, simulator: target,
            defaultWorkerID: "test-host:1:abc")
    ).load()
}

/// The error of a load that must fail.
func refusal(
    flags: [String: String] = [:], deadlines: [String] = [], environment: [String: String] = validEnvironment,
    file: String? = nil, simulator: Bool = false
) -> WorkerConfigurationError? {
    do {
        _ = try load(flags: flags, deadlines: deadlines, environment: environment, file: file, simulator: simulator)
        return nil
    } catch {
        return error
    }
}

@Suite struct PrecedenceTests {
    @Test func flagBeatsEnvironmentBeatsFile() throws {
        let file = #"{"concurrency": 5, "lease": "70s"}"#
        var environment = validEnvironment
        environment["OUTBOX_CONCURRENCY"] = "4"

        let all = try load(flags: ["concurrency": "3"], environment: environment, file: file)
        #expect(all.configuration.concurrency == 3)
        #expect(all.origins["concurrency"] == .flag("--concurrency"))
        #expect(all.configuration.leaseMillis == 70_000)

        let noFlag = try load(environment: environment, file: file)
        #expect(noFlag.configuration.concurrency == 4)
        #expect(noFlag.origins["concurrency"] == .environment("OUTBOX_CONCURRENCY"))

        let fileOnly = try load(file: file)
        #expect(fileOnly.configuration.concurrency == 5)
        guard case .file(let key, _) = fileOnly.origins["concurrency"] else {
            Issue.record("expected the file as origin")
            return
        }
        #expect(key == "concurrency")

        let none = try load()
        #expect(none.configuration.concurrency == 8)
        #expect(none.origins["concurrency"] == nil)
        #expect(none.summary.first { $0.key == "concurrency" }?.origin == .defaulted)
    }

    @Test func secretsFromFileWhenNotInEnvironment() throws {
        var environment = validEnvironment
        environment["PAYWALL_PRIVATE_API_KEY"] = nil
        let settings = try load(environment: environment, file: #"{"paywall": {"private_api_key": "FROM-FILE-9999"}}"#)
        #expect(settings.configuration.paywall.privateCredentials.apiKey.revealedValue == "FROM-FILE-9999")
        // The environment wins when both have it.
        let both = try load(file: #"{"paywall": {"private_api_key": "FROM-FILE-9999"}}"#)
        #expect(both.configuration.paywall.privateCredentials.apiKey.revealedValue == secretValues[0])
    }

    @Test func flatDottedFileKeysWork() throws {
        let settings = try load(file: #"{"backoff.base": "1s", "backoff": {"cap": "2m", "factor": 1.5}}"#)
        #expect(settings.configuration.backoff == Backoff(baseMillis: 1_000, factor: 1.5, capMillis: 120_000))
    }

    @Test func configFileFromEnvironmentAndFlagWins() throws {
        let fromEnv = Scratch.url("env", suffix: ".json").path
        let fromFlag = Scratch.url("flag", suffix: ".json").path
        FileManager.default.createFile(atPath: fromEnv, contents: Data(#"{"max_attempts": 3}"#.utf8))
        FileManager.default.createFile(atPath: fromFlag, contents: Data(#"{"max_attempts": 4}"#.utf8))
        var environment = validEnvironment
        environment["OUTBOX_CONFIG"] = fromEnv
        let viaEnv = try WorkerSettingsLoader(WorkerSettingsInput(environment: environment)).load()
        #expect(viaEnv.configuration.maxAttempts == 3)
        let viaFlag = try WorkerSettingsLoader(WorkerSettingsInput(configFile: fromFlag, environment: environment))
            .load()
        #expect(viaFlag.configuration.maxAttempts == 4)
        #expect(viaFlag.configFile == fromFlag)
    }

    @Test func everySettingReachesTheConfiguration() throws {
        let settings = try load(
            flags: [
                "paywall.connect_timeout": "2s", "paywall.request_timeout": "20s", "paywall.approve_variant": "self",
                "lease": "90s", "backoff.base": "250ms", "backoff.factor": "3",
                "backoff.cap": "5m", "max_attempts": "7", "max_age": "2d", "rollback_margin": "2s",
                "shutdown_grace": "20s", "synchronous": "full", "worker_id": "till-1", "log_level": "debug",
                "log_format": "json",
            ])
        let c = settings.configuration
        #expect(c.store.path == "/tmp/outbox-test.sqlite")
        #expect(c.store.synchronous == .full)
        #expect(c.paywall.physicalBaseURL == "https://physical.example.com")
        #expect(c.paywall.paymentBaseURL == "https://payment.example.com")  // trailing slash trimmed
        #expect(c.paywall.connectTimeout == .seconds(2))
        #expect(c.paywall.requestTimeout == .seconds(20))
        #expect(c.paywall.approveVariant == .platformCalculator)
        #expect(c.leaseMillis == 90_000)
        #expect(c.backoff == Backoff(baseMillis: 250, factor: 3, capMillis: 300_000))
        #expect(c.maxAttempts == 7)
        #expect(c.maxAgeMillis == 2 * 86_400_000)
        #expect(c.rollbackMarginMillis == 2_000)
        #expect(c.shutdownGraceMillis == 20_000)
        #expect(c.workerID == "till-1")
        #expect(settings.logLevel == .debug)
        #expect(settings.logFormat == .json)
        #expect(settings.summary.contains { $0.key == "log_format" && $0.value == "json" && $0.origin == .flag("--log-format") })
    }

    @Test func logFormatComesFromTheEnvironmentOrTheFileLikeEveryOtherSetting() throws {
        var environment = validEnvironment
        environment["OUTBOX_LOG_FORMAT"] = "JSON"
        #expect(try load(environment: environment).logFormat == .json)
        let fromFile = try load(file: #"{"log_format": "json"}"#)
        #expect(fromFile.logFormat == .json)
        let origin = try #require(fromFile.origins["log_format"])
        guard case .file(let key, _) = origin else {
            Issue.record("log_format came from \(origin), not the file")
            return
        }
        #expect(key == "log_format")
        // A flag wins over the environment, as for every setting.
        #expect(try load(flags: ["log_format": "text"], environment: environment).logFormat == .text)
    }

    @Test func defaults() throws {
        let settings = try load()
        let c = settings.configuration
        #expect(c.workerID == "test-host:1:abc")
        #expect(c.concurrency == 8)
        #expect(c.leaseMillis == 60_000)
        #expect(c.deadlines == WorkerConfiguration.defaultDeadlines)
        #expect(c.store.synchronous == .normal)
        #expect(settings.logLevel == .info)
        #expect(settings.logFormat == .text)
        #expect(!settings.allowInsecureHTTP)
        #expect(c.paywall.unknownFields == .refuse)
    }

    @Test func unknownFieldsAreLetThroughOnlyWhenAsked() throws {
        #expect(try load(flags: ["allow_unknown_fields": "true"]).configuration.paywall.unknownFields == .passThrough)
        var environment = validEnvironment
        environment["OUTBOX_ALLOW_UNKNOWN_FIELDS"] = "true"
        let settings = try load(environment: environment)
        #expect(settings.configuration.paywall.unknownFields == .passThrough)
        #expect(settings.warnings.contains { $0.hasPrefix("allow_unknown_fields") })
        #expect(settings.summary.contains { $0.key == "allow_unknown_fields" && $0.value == "true" })
        #expect(
            try load(file: #"{"allow_unknown_fields": true}"#).configuration.paywall.unknownFields == .passThrough)
        #expect(try load(file: #"{"allow_unknown_fields": false}"#).configuration.paywall.unknownFields == .refuse)
        environment["OUTBOX_ALLOW_UNKNOWN_FIELDS"] = "perhaps"
        #expect(refusal(environment: environment)?.problems.map(\.key) == ["allow_unknown_fields"])
    }

    @Test func defaultWorkerIDIsHostPidRandom() {
        let parts = WorkerSettingsLoader.defaultWorkerID().split(separator: ":")
        #expect(parts.count == 3)
        #expect(parts[1] == "\(ProcessInfo.processInfo.processIdentifier)")
    }
}

@Suite struct DeadlineTests {
    @Test func flagsEnvironmentAndFile() throws {
        var environment = validEnvironment
        environment["OUTBOX_DEADLINE_ASYNC_SALE"] = "2m"
        environment["OUTBOX_DEADLINE_SYNC_SALE"] = "5m"
        let settings = try load(
            deadlines: ["sync_sale=120s", "SYNC_CANCEL = 30s"], environment: environment,
            file: #"{"deadline": {"marketplace_approve": "1d", "async_sale": "9m"}}"#)
        let d = settings.configuration.deadlines
        #expect(d[.syncSale] == 120_000)  // flag beats environment
        #expect(d[.syncCancel] == 30_000)
        #expect(d[.asyncSale] == 120_000)  // environment beats file
        #expect(d[.marketplaceApprove] == 86_400_000)
        #expect(d[.asyncCancel] == WorkerConfiguration.defaultDeadlines[.asyncCancel])
        #expect(settings.origins["deadline.sync_sale"] == .flag("--deadline sync_sale"))
    }

    @Test(arguments: [
        ("sync_sale", "expected KIND=DURATION"),
        ("bogus=1s", "unknown kind \"bogus\""),
        ("sync_sale=120", "--deadline sync_sale = \"120\": not a duration"),
        ("sync_sale=0s", "must be at least 1s"),
    ])
    func refused(flag: String, expected: String) throws {
        let error = try #require(refusal(deadlines: [flag]))
        #expect(error.description.contains(expected), "\(error)")
        #expect(error.problems.allSatisfy { $0.key.hasPrefix("deadline") })
    }

    @Test func invalidEnvironmentDeadlineNamesTheVariable() throws {
        var environment = validEnvironment
        environment["OUTBOX_DEADLINE_SYNC_SALE"] = "soon"
        let error = try #require(refusal(environment: environment))
        #expect(error.problems.map(\.key) == ["deadline.sync_sale"])
        #expect(error.description.contains("OUTBOX_DEADLINE_SYNC_SALE = \"soon\""))
    }
}

@Suite struct RefusalTests {
    @Test(arguments: [
        ("OUTBOX_DB", "db", "--db"),
        ("PAYWALL_PHYSICAL_BASE_URL", "paywall.physical_base_url", "--physical-base-url"),
        ("PAYWALL_PAYMENT_BASE_URL", "paywall.payment_base_url", "--payment-base-url"),
        ("PAYWALL_PRIVATE_API_KEY", "paywall.private_api_key", "PAYWALL_PRIVATE_API_KEY"),
        ("PAYWALL_PRIVATE_API_CLIENT", "paywall.private_api_client", "PAYWALL_PRIVATE_API_CLIENT"),
        ("PAYWALL_PUBLIC_API_KEY", "paywall.public_api_key", "PAYWALL_PUBLIC_API_KEY"),
        ("PAYWALL_PUBLIC_API_CLIENT", "paywall.public_api_client", "PAYWALL_PUBLIC_API_CLIENT"),
    ])
    func missingRequiredSettingIsNamed(variable: String, key: String, spelling: String) throws {
        var environment = validEnvironment
        environment[variable] = nil
        let error = try #require(refusal(environment: environment))
        #expect(error.problems.map(\.key) == [key])
        #expect(error.description.contains(spelling))
        #expect(error.description.contains(variable))
        // An empty variable counts as missing.
        environment[variable] = "  "
        #expect(refusal(environment: environment)?.problems.map(\.key) == [key])
    }

    @Test(arguments: [
        ("OUTBOX_CONCURRENCY", "0", "concurrency"),
        ("OUTBOX_CONCURRENCY", "many", "concurrency"),
        ("OUTBOX_LEASE", "60", "lease"),
        ("OUTBOX_LEASE", "20s", "lease"),  // not longer than the 30 s request timeout
        ("OUTBOX_BACKOFF_BASE", "fast", "backoff.base"),
        ("OUTBOX_BACKOFF_FACTOR", "0.5", "backoff.factor"),
        ("OUTBOX_BACKOFF_CAP", "100ms", "backoff.cap"),  // below the 500 ms base
        ("OUTBOX_MAX_ATTEMPTS", "0", "max_attempts"),
        ("OUTBOX_MAX_AGE", "forever", "max_age"),
        ("OUTBOX_ROLLBACK_MARGIN", "-1s", "rollback_margin"),
        ("OUTBOX_SHUTDOWN_GRACE", "10", "shutdown_grace"),
        ("OUTBOX_SYNCHRONOUS", "off", "synchronous"),
        ("OUTBOX_WORKER_ID", "two words", "worker_id"),
        ("OUTBOX_LOG_LEVEL", "loud", "log_level"),
        ("OUTBOX_LOG_FORMAT", "logfmt", "log_format"),
        ("OUTBOX_ALLOW_INSECURE_HTTP", "maybe", "allow_insecure_http"),
        ("PAYWALL_CONNECT_TIMEOUT", "31s", "paywall.connect_timeout"),  // longer than the request timeout
        ("PAYWALL_REQUEST_TIMEOUT", "0s", "paywall.request_timeout"),
        ("PAYWALL_APPROVE_VARIANT", "other", "paywall.approve_variant"),
        ("PAYWALL_PHYSICAL_BASE_URL", "not a url", "paywall.physical_base_url"),
        ("PAYWALL_PAYMENT_BASE_URL", "ftp://payment.example.com", "paywall.payment_base_url"),
        ("PAYWALL_PAYMENT_BASE_URL", "https://payment.example.com/?x=1", "paywall.payment_base_url"),
    ])
    func invalidSettingIsNamed(variable: String, value: String, key: String) throws {
        var environment = validEnvironment
        environment[variable] = value
        let error = try #require(refusal(environment: environment), "\(variable)=\(value) was accepted")
        #expect(error.problems.map(\.key) == [key], "\(error)")
        #expect(error.description.contains(variable) || error.description.contains(key), "\(error)")
    }

    @Test func invalidFlagNamesTheFlag() throws {
        let error = try #require(refusal(flags: ["concurrency": "lots"]))
        #expect(error.description.contains("--concurrency = \"lots\""))
    }

    @Test func invalidFileValueNamesTheFileKey() throws {
        let error = try #require(refusal(file: #"{"backoff": {"factor": "steep"}}"#))
        #expect(error.problems.map(\.key) == ["backoff.factor"])
        #expect(error.description.contains("file key \"backoff.factor\""))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let error = try #require(refusal(flags: ["concurrency": "x", "lease": "y"], environment: [:]))
        let keys = Set(error.problems.map(\.key))
        #expect(
            keys.isSuperset(of: ["db", "paywall.physical_base_url", "paywall.private_api_key", "concurrency", "lease"]))
    }

    @Test(arguments: [
        (#"{"concurency": 3}"#, "unknown key \"concurency\""),
        (#"{"concurrency": [1, 2]}"#, "arrays are not accepted"),
        (#"[1]"#, "top level must be a JSON object"),
        (#"{"db": "a", "db": "b"}"#, "not valid JSON"),
        (#"{"db": "#, "not valid JSON"),
    ])
    func badFileIsRefused(text: String, expected: String) throws {
        let error = try #require(refusal(file: text))
        #expect(error.problems.contains { $0.key == "config" && $0.message.contains(expected) }, "\(error)")
        #expect(error.description.contains("--config"))
    }

    @Test func missingFileIsRefusedNamingItsSource() throws {
        var environment = validEnvironment
        environment["OUTBOX_CONFIG"] = "/nonexistent/worker.json"
        let error = try #require(refusal(environment: environment))
        #expect(error.description.contains("OUTBOX_CONFIG /nonexistent/worker.json"))
    }

    @Test func secretsAreRefusedAsFlags() throws {
        let error = try #require(refusal(flags: ["paywall.private_api_key": "FLAG-SECRET-7777"]))
        #expect(error.problems.map(\.key) == ["paywall.private_api_key"])
        #expect(!error.description.contains("FLAG-SECRET-7777"))
        #expect(error.description.contains("PAYWALL_PRIVATE_API_KEY"))
    }
}

@Suite struct HTTPSRuleTests {
    var insecureEnvironment: [String: String] {
        var environment = validEnvironment
        environment["PAYWALL_PHYSICAL_BASE_URL"] = "http://127.0.0.1:8089"
        return environment
    }

    @Test func httpIsRefusedByDefault() throws {
        let error = try #require(refusal(environment: insecureEnvironment))
        #expect(error.problems.map(\.key) == ["paywall.physical_base_url"])
        #expect(error.description.contains("https"))
        #expect(error.description.contains("--allow-insecure-http"))
    }

    @Test func httpIsAllowedWithTheFlagEnvironmentOrFile() throws {
        #expect(try load(flags: ["allow_insecure_http": "true"], environment: insecureEnvironment).allowInsecureHTTP)
        var environment = insecureEnvironment
        environment["OUTBOX_ALLOW_INSECURE_HTTP"] = "true"
        #expect(try load(environment: environment).configuration.paywall.physicalBaseURL == "http://127.0.0.1:8089")
        #expect(try load(environment: insecureEnvironment, file: #"{"allow_insecure_http": true}"#).allowInsecureHTTP)
    }

    @Test func httpsSchemeIsCaseInsensitive() throws {
        var environment = validEnvironment
        environment["PAYWALL_PHYSICAL_BASE_URL"] = "HTTPS://physical.example.com"
        #expect(throws: Never.self) { try load(environment: environment) }
    }

    @Test func credentialsInTheAddressAreRefusedWithoutBeingEchoed() throws {
        var environment = validEnvironment
        environment["PAYWALL_PAYMENT_BASE_URL"] = "https://user:URL-PASSWORD-5555@payment.example.com"
        let error = try #require(refusal(environment: environment))
        #expect(error.problems.map(\.key) == ["paywall.payment_base_url"])
        #expect(!error.description.contains("URL-PASSWORD-5555"))
    }
}

@Suite struct SecretRedactionTests {
    @Test func summaryAndDescriptionsNeverShowSecrets() throws {
        let settings = try load()
        let rendered = [
            settings.summary.map { "\($0.key)=\($0.value) \($0.origin)" }.joined(separator: "\n"),
            "\(settings.summaryMetadata)", "\(settings)", String(reflecting: settings), "\(settings.configuration)",
        ]
        var dumped = ""
        dump(settings, to: &dumped)
        for text in rendered + [dumped] {
            for secret in secretValues {
                #expect(!text.contains(secret), "secret leaked in: \(text.prefix(200))")
            }
        }
        let summary = Dictionary(uniqueKeysWithValues: settings.summary.map { ($0.key, $0.value) })
        #expect(summary["paywall.private_api_key"] == "<redacted>")
        #expect(summary["paywall.public_api_client"] == "<redacted>")
        #expect(summary["paywall.physical_base_url"] == "https://physical.example.com")
        #expect(summary["concurrency"] == "8")
        #expect(settings.summaryMetadata["config.paywall.private_api_key"] == "<redacted> (PAYWALL_PRIVATE_API_KEY)")
    }

    @Test func invalidSecretIsNotQuoted() throws {
        var environment = validEnvironment
        environment["PAYWALL_PUBLIC_API_KEY"] = "BAD SECRET-6666"
        let error = try #require(refusal(environment: environment))
        #expect(error.problems.map(\.key) == ["paywall.public_api_key"])
        #expect(!error.description.contains("BAD SECRET-6666"))
        #expect(error.description.contains("PAYWALL_PUBLIC_API_KEY"))
    }

    @Test func errorsInOtherSettingsDoNotShowSecrets() throws {
        let error = try #require(
            refusal(flags: ["lease": "x"], file: #"{"paywall": {"private_api_key": "FILE-SECRET-8888"}}"#))
        for secret in secretValues + ["FILE-SECRET-8888"] {
            #expect(!error.description.contains(secret))
        }
    }
}

@Suite struct SimulatorModeTests {
    @Test func needsNoAddressesOrCredentials() throws {
        let settings = try load(environment: [:], simulator: true)
        #expect(settings.simulator)
        #expect(settings.configuration.store.path == "./outbox.sqlite")
        #expect(settings.configuration.paywall.privateCredentials.apiKey.revealedValue == "sim-private-key")
        let pointed = settings.pointingAtSimulator(baseURL: "http://127.0.0.1:4242")
        #expect(pointed.configuration.paywall.physicalBaseURL == "http://127.0.0.1:4242")
        #expect(pointed.configuration.paywall.paymentBaseURL == "http://127.0.0.1:4242")
    }

    @Test func ignoresConfiguredPaywallWithAWarning() throws {
        let settings = try load(flags: ["db": "/tmp/x.sqlite"], simulator: true)
        #expect(settings.configuration.store.path == "/tmp/x.sqlite")
        #expect(settings.configuration.paywall.privateCredentials.apiKey.revealedValue == "sim-private-key")
        #expect(settings.warnings.contains { $0.contains("paywall.physical_base_url") })
        for warning in settings.warnings {
            for secret in secretValues { #expect(!warning.contains(secret)) }
        }
    }

    @Test func unknownEnvironmentVariablesAreWarnedAbout() throws {
        var environment = validEnvironment
        environment["OUTBOX_CONCURENCY"] = "3"
        let settings = try load(environment: environment)
        #expect(settings.warnings.contains { $0.contains("OUTBOX_CONCURENCY") })
    }
}

@Suite struct SettingCatalogTests {
    @Test func environmentVariableNames() {
        #expect(WorkerSetting.backoffBase.environmentVariable == "OUTBOX_BACKOFF_BASE")
        #expect(WorkerSetting.privateAPIKey.environmentVariable == "PAYWALL_PRIVATE_API_KEY")
        #expect(WorkerSetting.deadline(.syncSale).environmentVariable == "OUTBOX_DEADLINE_SYNC_SALE")
        #expect(WorkerSetting.logLevel.environmentVariable == "OUTBOX_LOG_LEVEL")
        #expect(WorkerSetting.database.environmentVariable == "OUTBOX_DB")
    }

    @Test func secretsHaveNoFlag() {
        for setting in WorkerSetting.allWithDeadlines where setting.isSecret {
            #expect(setting.flag == nil)
        }
        // The four Paywall credentials and the callback keys.
        #expect(WorkerSetting.all.filter(\.isSecret).count == 5)
    }

    @Test func keysAreUnique() {
        let keys = WorkerSetting.allWithDeadlines.map(\.key)
        #expect(Set(keys).count == keys.count)
    }
}

@Suite struct PostgresURLSettingTests {
    @Test("a postgres:// URL carrying a password is refused as a usage error, the password never repeated")
    func passwordInURL() throws {
        for place in ["flag", "environment", "file"] {
            var environment = validEnvironment
            var flags: [String: String] = [:]
            var file: String?
            let url = "postgres://outbox:Pw-s3cr3t-9999@db.example/shop"
            switch place {
            case "flag": flags["db"] = url
            case "environment": environment["OUTBOX_DB"] = url
            default:
                environment["OUTBOX_DB"] = nil
                file = #"{"db": "\#(url)"}"#
            }
            let error = try #require(refusal(flags: flags, environment: environment, file: file), "\(place)")
            #expect(error.isUsage, "\(place)")
            #expect(!error.description.contains("Pw-s3cr3t-9999"), "\(place): \(error)")
            #expect(error.description.contains("PGPASSWORD"))
        }
        // Without a password it loads (the worker opens it; its password comes from PGPASSWORD).
        var environment = validEnvironment
        environment["OUTBOX_DB"] = "postgres://outbox@db.example/shop"
        #expect(try load(environment: environment).configuration.store.path == "postgres://outbox@db.example/shop")
    }
}
