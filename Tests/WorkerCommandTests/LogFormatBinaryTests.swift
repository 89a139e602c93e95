import Foundation
import OutboxModel
import OutboxTestSupport
import Testing

/// `--log-format json` on the built binary: one JSON object per line, the text format's keys,
/// and never a secret.
@Suite(.serialized) struct LogFormatBinaryTests {
    /// Every stderr line as a JSON object (a line that is not one is recorded as an issue).
    static func objects(_ stderr: String) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if object == nil { Issue.record("not a JSON object: \(line)") }
            return object
        }
    }

    /// The metadata keys of the text line whose message is `message`.
    static func textKeys(_ stderr: String, message: String) -> Set<String>? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains(" \"\(message)\"") }) else {
            return nil
        }
        let rest = line.components(separatedBy: " \"\(message)\"").dropFirst().joined()
        // key=value pairs; values may be quoted (with spaces inside): take what precedes each `=`
        // that starts a token.
        let keys = try! Regex(#"(?:^| )([A-Za-z0-9_.\-]+)="#)
        return Set(rest.matches(of: keys).map { String($0.output[1].substring ?? "") })
    }

    @Test func jsonLinesCarryTheSameKeysAsTextLines() async throws {
        var keysByFormat: [String: [String: Set<String>]] = [:]
        for format in ["text", "json"] {
            let dir = try temporaryDirectory()
            let db = dir.appendingPathComponent("outbox.sqlite").path
            let worker = try WorkerProcess(
                ["--simulator", "--demo", "2", "--db", db, "--log-format", format, "--worker-id", "same-id"])
            let status = await worker.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "stderr: \(worker.stderr.suffix(3000))")
            // Two outcome lines and the two payments' final statuses, whatever the log format.
            #expect(worker.stdout.split(separator: "\n").count == 4, "stdout is unchanged: \(worker.stdout)")
            #expect(!worker.stderr.contains("sim-private-key"))
            var keys: [String: Set<String>] = [:]
            if format == "json" {
                let objects = Self.objects(worker.stderr)
                #expect(objects.count >= 5)
                for object in objects {
                    for fixed in ["timestamp", "level", "message", "label"] {
                        #expect(object[fixed] is String, "no \(fixed) in \(object)")
                    }
                    let stamp = try #require(object["timestamp"] as? String)
                    #expect(stamp.contains(try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#)), "\(stamp)")
                }
                let finished = objects.filter { $0["message"] as? String == "Command finished" }
                #expect(finished.count == 2, "\(objects.compactMap { $0["message"] })")
                #expect(finished.allSatisfy { $0["outbox.command.id"] is String && $0["label"] as? String == "worker" })
                for message in ["Worker configuration", "Worker running"] {
                    let object = try #require(objects.first { $0["message"] as? String == message })
                    keys[message] = Set(object.keys).subtracting(["timestamp", "level", "message", "label"])
                }
                let configuration = try #require(objects.first { $0["message"] as? String == "Worker configuration" })
                #expect(configuration["config.log_format"] as? String == "json (--log-format)")
            } else {
                for message in ["Worker configuration", "Worker running"] {
                    keys[message] = try #require(Self.textKeys(worker.stderr, message: message))
                }
            }
            keysByFormat[format] = keys
        }
        let text = try #require(keysByFormat["text"])
        let json = try #require(keysByFormat["json"])
        #expect(text == json)
        #expect(json["Worker running"]?.contains("outbox.worker") == true)
        #expect(json["Worker configuration"]?.contains("config.paywall.private_api_key") == true)
    }

    @Test func jsonLogsNeverShowASecret() async throws {
        let dir = try temporaryDirectory()
        var environment = validEnvironment
        environment["OUTBOX_DB"] = dir.appendingPathComponent("outbox.sqlite").path
        environment["OUTBOX_LOG_FORMAT"] = "json"
        let worker = try WorkerProcess(["--create-database", "--log-level", "trace"], environment: environment)
        #expect(await worker.waitForStderr("\"Worker running\""), "\(worker.stderr.suffix(2000))")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
        for secret in secretValues { #expect(!worker.stderr.contains(secret)) }
        let objects = Self.objects(worker.stderr)
        let configuration = try #require(objects.first { $0["message"] as? String == "Worker configuration" })
        #expect(configuration["config.paywall.private_api_key"] as? String == "<redacted> (PAYWALL_PRIVATE_API_KEY)")
        #expect(configuration["config.log_format"] as? String == "json (OUTBOX_LOG_FORMAT)")
    }
}
