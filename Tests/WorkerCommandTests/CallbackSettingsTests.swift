import Foundation
import OutboxWorker
import PaywallClient
import Testing
import OutboxTestSupport

/// A keys file with `text`, mode `mode`.
func keysFile(_ text: String, mode: Int = 0o600) -> String {
    let path = Scratch.url("callback-keys").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    return path
}

@Suite("Callback listener settings")
struct CallbackSettingsTests {
    static let keyA = "CB-KEY-s3cr3t-aaaa"
    static let keyB = "CB-KEY-s3cr3t-bbbb"

    @Test func offUnlessAnAddressIsSet() throws {
        let settings = try load()
        #expect(settings.callbackListener == nil)
        #expect(settings.summary.contains { $0.key == "callback.address" && $0.value == "off" })
        var environment = validEnvironment
        environment["OUTBOX_CALLBACK_KEYS"] = "7 \(Self.keyA)"
        let keysOnly = try load(environment: environment)
        #expect(keysOnly.callbackListener == nil)
        #expect(keysOnly.warnings.contains { $0.contains("callback listener is off") })
        #expect(!keysOnly.warnings.joined().contains(Self.keyA))
    }

    @Test func keysFromTheEnvironmentAndTheFileTogether() throws {
        var environment = validEnvironment
        environment["OUTBOX_CALLBACK_KEYS"] = "7 \(Self.keyA)"
        let file = keysFile("# rotation: new key first\n7 \(Self.keyB)\n")
        let settings = try load(
            flags: ["callback.address": "0.0.0.0:8080", "callback.path": "/hooks/paywall", "callback.keys_file": file],
            environment: environment)
        let listener = try #require(settings.callbackListener)
        #expect(listener.host == "0.0.0.0")
        #expect(listener.port == 8080)
        #expect(listener.path == "/hooks/paywall")
        #expect(listener.keys.keys(for: 7).map(\.revealedValue) == [Self.keyA, Self.keyB])
        #expect(settings.callbackKeysFile == file)
        let summary = settings.summary.map { "\($0.key) = \($0.value) (\($0.origin))" }.joined(separator: "\n")
        #expect(summary.contains("callback.address = 0.0.0.0:8080 (--callback-address)"))
        #expect(summary.contains("callback.keys = <redacted> (OUTBOX_CALLBACK_KEYS)"))
        #expect(summary.contains("callback.keys_file = \(file)"))
        #expect(!summary.contains("CB-KEY"))
        #expect(!"\(settings.summaryMetadata)".contains("CB-KEY"))
    }

    @Test func everythingFromTheConfigurationFile() throws {
        let settings = try load(
            file: #"{"callback": {"address": "127.0.0.1:9000", "keys": "7 \#(Self.keyA),7 \#(Self.keyB)"}}"#)
        let listener = try #require(settings.callbackListener)
        #expect(listener.addressText == "127.0.0.1:9000")
        #expect(listener.path == CallbackListenerConfiguration.defaultPath)
        #expect(listener.keys.count == 2)
    }

    @Test func aListenerWithoutAnyKeyIsRefused() throws {
        let error = try #require(refusal(flags: ["callback.address": "127.0.0.1:8080"]))
        #expect(error.problems.map(\.key) == ["callback.keys"])
        #expect(error.description.contains("OUTBOX_CALLBACK_KEYS"))
        #expect(error.description.contains("--callback-keys-file"))
        let onlyComments = keysFile("# no keys yet\n\n")
        let empty = try #require(
            refusal(flags: ["callback.address": "127.0.0.1:8080", "callback.keys_file": onlyComments]))
        #expect(empty.problems.map(\.key) == ["callback.keys_file"])
    }

    @Test func unreadableOrMalformedKeysAreRefusedWithoutShowingAKey() throws {
        let missing = try #require(
            refusal(flags: ["callback.address": "127.0.0.1:8080", "callback.keys_file": "/nonexistent/keys"]))
        #expect(missing.problems.map(\.key) == ["callback.keys_file"])
        #expect(missing.description.contains("cannot read"))
        let malformed = keysFile("7 \(Self.keyA)\n7 \(Self.keyB) extra\n")
        let bad = try #require(refusal(flags: ["callback.address": "127.0.0.1:8080", "callback.keys_file": malformed]))
        #expect(bad.description.contains("line 2"))
        #expect(!bad.description.contains("CB-KEY"))
        var environment = validEnvironment
        environment["OUTBOX_CALLBACK_KEYS"] = "seven \(Self.keyA)"
        let badEnvironment = try #require(refusal(flags: ["callback.address": "127.0.0.1:8080"], environment: environment))
        #expect(badEnvironment.problems.map(\.key) == ["callback.keys"])
        #expect(badEnvironment.description.contains("OUTBOX_CALLBACK_KEYS"))
        #expect(!badEnvironment.description.contains("CB-KEY"))
    }

    @Test(arguments: [
        (["callback.address": "8080"], "callback.address"),
        (["callback.address": "0.0.0.0:99999"], "callback.address"),
        (["callback.address": "0.0.0.0:8080", "callback.path": "paywall"], "callback.path"),
        (["callback.address": "0.0.0.0:8080", "callback.path": "/a/../b"], "callback.path"),
    ])
    func badAddressOrPathIsNamed(flags: [String: String], key: String) throws {
        var environment = validEnvironment
        environment["OUTBOX_CALLBACK_KEYS"] = "7 \(Self.keyA)"
        let error = try #require(refusal(flags: flags, environment: environment))
        #expect(error.problems.map(\.key) == [key])
    }

    @Test func aKeysFileOthersCanReadIsWarnedAbout() throws {
        let file = keysFile("7 \(Self.keyA)\n", mode: 0o644)
        let settings = try load(flags: ["callback.address": "127.0.0.1:8080", "callback.keys_file": file])
        #expect(settings.warnings.contains { $0.contains("chmod 600") })
    }

    @Test func theSimulatorsKeyIsAddedWithSimulator() throws {
        let target = SimulatorTarget(
            privateCredentials: PaywallCredentials(apiKey: "sim-private-key", apiClient: "sim-private-client"),
            publicCredentials: PaywallCredentials(apiKey: "sim-public-key", apiClient: "sim-public-client"),
            callbackKeys: CallbackKeys([(keyType: 7, key: "sim-webhook-hash-key")]))
        let settings = try WorkerSettingsLoader(
            WorkerSettingsInput(flags: ["callback.address": "127.0.0.1:0"], environment: [:], simulator: target)
        ).load()
        #expect(settings.callbackListener?.keys.keys(for: 7).map(\.revealedValue) == ["sim-webhook-hash-key"])
        #expect(settings.summary.contains { $0.key == "callback.keys" && $0.value == "<redacted>" && $0.origin == .simulator })
    }
}
