import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport
import Testing

/// A `worker` process (or another of the package's binaries: `executable`) whose stdout and
/// stderr are collected as they arrive.
final class WorkerProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let outPipe = Pipe()
    private let errPipe = Pipe()

    init(
        _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        executable: String = BuiltProducts.path("worker")
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // A clean environment: nothing from the developer's shell leaks in.
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try ChildProcess.start(process)
        // One reader thread per pipe, until end of file: every byte is appended before the
        // reader says it is done, so nothing written before exit can be missed (a readability
        // handler could still hold its last chunk when the test read the text).
        for (handle, toErr) in [(outPipe.fileHandleForReading, false), (errPipe.fileHandleForReading, true)] {
            Thread.detachNewThread { [self] in
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    append(data, toErr: toErr)
                }
                lock.lock()
                readersDone += 1
                lock.unlock()
            }
        }
    }

    private var readersDone = 0

    private func append(_ data: Data, toErr: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if toErr { err.append(data) } else { out.append(data) }
    }

    var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: err, as: UTF8.self)
    }

    /// Waits until stderr contains `text` (true) or `timeout` passes or the process exits (false).
    func waitForStderr(_ text: String, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for exit (killing it after `timeout`) and returns the status.
    func waitForExit(timeout: Duration = .seconds(90)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Both pipes read to their end (bounded: a grandchild could hold them open).
        let drained = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < drained {
            if lock.withLock({ readersDone == 2 }) { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }
}

func temporaryDirectory() throws -> URL {
    let url = Scratch.url("worker-e2e")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// End to end: the built `worker` binary. `swift build --build-tests` builds it.
@Suite(.serialized) struct WorkerBinaryTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: BuiltProducts.path("worker")), "\(BuiltProducts.path("worker"))")
    }

    @Test func workerAndOutboxPrintTheSameVersion() async throws {
        var printed: [String] = []
        for name in ["worker", "outbox"] {
            let binary = try WorkerProcess(["--version"], executable: BuiltProducts.path(name))
            #expect(await binary.waitForExit() == 0, "\(name): \(binary.stderr)")
            printed.append(binary.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(printed == [OutboxVersion.current, OutboxVersion.current])
    }

    @Test func badConfigurationExits78NamingTheSettingWithoutSecrets() async throws {
        let worker = try WorkerProcess(
            ["--db", "/tmp/never-created.sqlite", "--physical-base-url", "http://physical.example.com"],
            environment: [
                "PAYWALL_PAYMENT_BASE_URL": "https://payment.example.com", "PAYWALL_PRIVATE_API_KEY": "E2E-SECRET-1234",
                "PAYWALL_PRIVATE_API_CLIENT": "E2E-SECRET-5678",
            ])
        let status = await worker.waitForExit()
        #expect(status == 78)
        let stderr = worker.stderr
        #expect(stderr.contains("paywall.physical_base_url"))
        #expect(stderr.contains("--physical-base-url"))
        #expect(stderr.contains("https"))
        #expect(stderr.contains("PAYWALL_PUBLIC_API_KEY"))  // missing
        #expect(!stderr.contains("E2E-SECRET"))
        #expect(worker.stdout.isEmpty)
    }

    @Test func missingEverythingExits78() async throws {
        let worker = try WorkerProcess([])
        #expect(await worker.waitForExit() == 78)
        #expect(worker.stderr.contains("db: is required"))
        #expect(worker.stderr.contains("there is no default Paywall address"))
    }

    @Test(arguments: [
        ["--private-api-key", "x"],  // secrets have no flag
        ["--demo", "3"],  // demo without the simulator
        ["--concurrency"],  // missing value
    ])
    func usageErrorsExit64(arguments: [String]) async throws {
        let worker = try WorkerProcess(arguments)
        #expect(await worker.waitForExit() == 64, "\(worker.stderr)")
    }

    @Test func helpNamesEveryEnvironmentVariableAndTheExitCodes() async throws {
        let worker = try WorkerProcess(["--help"])
        #expect(await worker.waitForExit() == 0)
        let help = worker.stdout
        for name in [
            "OUTBOX_DB", "PAYWALL_PHYSICAL_BASE_URL", "PAYWALL_PAYMENT_BASE_URL", "PAYWALL_PRIVATE_API_KEY",
            "PAYWALL_PUBLIC_API_CLIENT", "OUTBOX_CONCURRENCY", "OUTBOX_LEASE", "OUTBOX_BACKOFF_BASE",
            "OUTBOX_BACKOFF_FACTOR", "OUTBOX_BACKOFF_CAP", "OUTBOX_MAX_ATTEMPTS", "OUTBOX_MAX_AGE",
            "OUTBOX_DEADLINE_SYNC_SALE", "OUTBOX_ROLLBACK_MARGIN", "PAYWALL_REQUEST_TIMEOUT", "PAYWALL_CONNECT_TIMEOUT",
            "PAYWALL_APPROVE_VARIANT", "OUTBOX_SYNCHRONOUS", "OUTBOX_WORKER_ID",
            "OUTBOX_LOG_LEVEL", "OUTBOX_LOG_FORMAT", "OUTBOX_CONFIG", "OUTBOX_ALLOW_INSECURE_HTTP", "OUTBOX_SHUTDOWN_GRACE",
        ] {
            #expect(help.contains(name), "--help does not mention \(name)")
        }
        for code in ["64", "70", "74", "78", "130"] {
            #expect(help.contains(code))
        }
        #expect(help.contains("--deadline sync_sale=120s"))
        // S8: --help says which approve routes Paywall's current docs list; no second numbering.
        let unwrapped = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(unwrapped.contains("current docs list only pw and self"))
        #expect(!help.contains("status-policy"))
    }

    @Test func simulatorDemoRunsToCompletion() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(["--simulator", "--demo", "8", "--exit-when-idle", "--db", db])
        let status = await worker.waitForExit(timeout: .seconds(120))
        #expect(status == 0, "stderr: \(worker.stderr.suffix(3000))")
        // One line per command outcome, and one per payment activity's final status (💳).
        let all = worker.stdout.split(separator: "\n")
        let payments = all.filter { $0.hasPrefix("💳") }
        let lines = all.filter { !$0.hasPrefix("💳") }
        #expect(lines.count == 8, "stdout: \(worker.stdout)")
        let outcomes = ["succeeded", "failed", "expired", "revoked", "dead", "discarded"]
        #expect(lines.allSatisfy { line in outcomes.contains { line.contains($0) } })
        // The first sale is cancelled before its terminal takes it (the sale ends 5, not paid; the
        // cancel 4), the second rolled back, the third paid, the fourth declined by its terminal.
        for (words, count) in [("paid", 1), ("cancelled", 1), ("rolled back", 1), ("declined", 2)] {
            #expect(payments.filter { $0.contains(" \(words) ") }.count == count, "\(words): \(worker.stdout)")
        }
        #expect(payments.count == 5, "stdout: \(worker.stdout)")
        for kind in [
            "async_sale", "sync_sale", "async_cancel", "sync_sale_rollback", "async_pair_request",
            "marketplace_approve",
        ] {
            #expect(lines.contains { $0.contains(" \(kind) ") }, "no outcome line for \(kind)")
        }
        let stderr = worker.stderr
        #expect(stderr.contains("outbox.command.id="))
        // Structured: every stderr line starts with a timestamp and a level.
        let structured = try Regex(
            #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) ""#)
        for line in stderr.split(separator: "\n") {
            #expect(line.contains(structured), "unstructured stderr line: \(line)")
        }
        #expect(!stderr.contains("sim-private-key"))
        #expect(FileManager.default.fileExists(atPath: db))
    }

    @Test func sigtermShutsDownGracefullyWithExit0() async throws {
        let dir = try temporaryDirectory()
        let worker = try WorkerProcess(
            ["--simulator", "--db", dir.appendingPathComponent("outbox.sqlite").path, "--log-level", "debug"])
        let running = await worker.waitForStderr("\"Worker running\"")
        #expect(running, "stderr: \(worker.stderr.suffix(2000))")
        worker.signal(SIGTERM)
        let status = await worker.waitForExit()
        #expect(status == 0, "stderr: \(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains("shutting down gracefully"))
        #expect(worker.stderr.contains("\"Worker stopped\""))
    }

    @Test func sigintAlsoShutsDownGracefully() async throws {
        let dir = try temporaryDirectory()
        let worker = try WorkerProcess(["--simulator", "--db", dir.appendingPathComponent("outbox.sqlite").path])
        #expect(await worker.waitForStderr("\"Worker running\""))
        worker.signal(SIGINT)
        #expect(await worker.waitForExit() == 0)
    }

    @Test func defaultDatabaseIsInTheWorkingDirectoryWithSimulator() async throws {
        let dir = try temporaryDirectory()
        let worker = try WorkerProcess(["--simulator", "--demo", "1"], directory: dir)
        #expect(await worker.waitForExit(timeout: .seconds(60)) == 0, "\(worker.stderr.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("outbox.sqlite").path))
        // The sale's outcome, then where the payment ended.
        let lines = worker.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.last?.hasPrefix("💳 paid") == true, "\(worker.stdout)")
    }
}

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Signals and failures that need a command in flight or a broken database.
@Suite(.serialized) struct WorkerShutdownTests {
    @Test func unopenableDatabaseExits74() async throws {
        let worker = try WorkerProcess(["--simulator", "--db", "/nonexistent-dir-\(UUID().uuidString)/outbox.sqlite"])
        #expect(await worker.waitForExit() == 74, "\(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains("Cannot open the outbox database"))
    }

    @Test(
        "a PostgreSQL database the server refuses (no such database) exits 74 at once with the server's words",
        .enabled(if: ScratchPostgres.available))
    func refusedPostgresDatabaseExits74() async throws {
        let server = try LocalPostgres.shared.get()
        let worker = try WorkerProcess(["--simulator", "--db", server.url(database: "nosuch_\(UUID().uuidString.prefix(8))")])
        // Well under the minute a connection pool would keep retrying before it gave up.
        #expect(await worker.waitForExit(timeout: .seconds(30)) == 74, "\(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains("does not exist (SQLSTATE 3D000)"), "\(worker.stderr.suffix(2000))")
    }

    /// First SIGTERM: graceful shutdown waits for the in-flight send (the simulator answers
    /// after 20 s). Second SIGTERM: immediate exit 130.
    @Test func secondSignalExitsAtOnceWith130() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(
            [
                "--simulator", "--db", db, "--log-level", "debug", "--shutdown-grace", "60s", "--request-timeout",
                "50s",
                "--lease", "2m",
            ])
        #expect(await worker.waitForStderr("\"Worker running\""), "\(worker.stderr.suffix(2000))")
        let base = try #require(
            worker.stderr.firstMatch(of: try Regex(#"sim\.base_url=(http://127\.0\.0\.1:\d+)"#))?.output[1].substring)

        // Every Paywall answer now comes 20 s late.
        var request = URLRequest(url: URL(string: "\(base)/_sim/faults")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"slowRate": 1, "slowDelayMillis": 20000}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)

        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        _ = try store.enqueue(
            NewCommand(
                commandKey: UUID().uuidString.lowercased(), kind: .asyncPairRequest,
                payload: #"{"TerminalTagCode":"STORE1-TILL9"}"#))
        #expect(await worker.waitForStderr("paywall.kind=async_pair_request"), "\(worker.stderr.suffix(2000))")

        let started = ContinuousClock.now
        worker.signal(SIGTERM)
        #expect(await worker.waitForStderr("shutting down gracefully"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(worker.process.isRunning, "graceful shutdown should wait for the in-flight send")
        worker.signal(SIGTERM)
        let status = await worker.waitForExit(timeout: .seconds(15))
        #expect(status == 130, "\(worker.stderr.suffix(2000))")
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(worker.stderr.contains("Second signal received"))
    }
}

/// The first SIGTERM while a backlog drains: exit 0, and nothing lost. The commands in flight
/// when it arrived are finished or given back; a second run drains the rest, and every command
/// ends with exactly one final outcome.
@Suite(.serialized) struct BusyDrainShutdownTests {
    @Test func firstSigtermDuringABusyDrainExits0AndLosesNothing() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        var ids: Set<Int64> = []
        for _ in 0..<1_200 {
            let key = UUID().uuidString.lowercased()
            let payload = """
                {"TerminalTagCode":"STORE1-TILL2","MerchantUniqueCode":"\(key)","Amount":22.10,"CurrencyId":1,\
                "Products":[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":11.05,"Quantity":2}]}
                """
            ids.insert(try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: payload)).id)
        }
        @Sendable func finished() throws -> [Int64: Int] {
            var counts: [Int64: Int] = [:]
            var cursor: Int64 = 0
            while true {
                let rows = try store.inbox(after: cursor, limit: 500)
                guard let last = rows.last else { return counts }
                cursor = last.id
                for row in rows where row.outcome != nil { counts[row.outboxID, default: 0] += 1 }
            }
        }

        // Two sends at a time: the drain of 1,200 takes seconds even on a fast machine.
        let worker = try WorkerProcess(["--simulator", "--db", db, "--concurrency", "2"])
        // Signal in the middle of the drain: some outcomes recorded, most commands still queued.
        // Watched from a thread of its own, so a busy test process cannot make it look late.
        let before: Int = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let deadline = ContinuousClock.now + .seconds(120)
                while true {
                    let count = (try? finished().count) ?? 0
                    if count >= 50 || !worker.process.isRunning || ContinuousClock.now > deadline {
                        worker.signal(SIGTERM)
                        continuation.resume(returning: count)
                        return
                    }
                    usleep(2_000)
                }
            }
        }
        #expect(before >= 50 && before < ids.count, "signal sent with \(before) outcomes recorded")
        let status = await worker.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "stderr: \(worker.stderr.suffix(3000))")
        #expect(!worker.stderr.contains("CancellationError"))
        #expect(worker.stderr.contains("\"Worker stopped\""))

        // A second run drains the rest; every command ends exactly once.
        let second = try WorkerProcess(["--simulator", "--db", db, "--concurrency", "16", "--exit-when-idle"])
        let secondStatus = await second.waitForExit(timeout: .seconds(120))
        let statuses = try store.workerStatuses().map { "\($0.worker) \($0.state) \($0.pauseReason ?? "-") probe \($0.nextProbeAt ?? 0)" }
        let pause = try store.sharedDispatch(now: 0).pause
        #expect(secondStatus == 0, "statuses \(statuses); pause \(String(describing: pause)); \(second.stderr.suffix(3000))")
        let counts = try finished()
        #expect(Set(counts.keys) == ids, "\(ids.count - counts.count) commands without a final outcome")
        #expect(counts.values.allSatisfy { $0 == 1 }, "a command with more than one final outcome")
    }
}

@Suite struct CheckConfigTests {
    @Test func printsTheRedactedConfigurationAndExits0() async throws {
        var environment = validEnvironment
        environment["OUTBOX_CONCURRENCY"] = "12"
        let worker = try WorkerProcess(["--check-config", "--lease", "90s"], environment: environment)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr)")
        let out = worker.stdout
        #expect(out.contains("concurrency = 12  (OUTBOX_CONCURRENCY)"))
        #expect(out.contains("lease = 90s  (--lease)"))
        #expect(out.contains("paywall.private_api_key = <redacted>  (PAYWALL_PRIVATE_API_KEY)"))
        #expect(out.contains("deadline.sync_sale = 3m  (default)"))
        for secret in secretValues { #expect(!out.contains(secret)) }
        #expect(!FileManager.default.fileExists(atPath: validEnvironment["OUTBOX_DB"]!))
    }

    @Test func invalidConfigurationExits78() async throws {
        var environment = validEnvironment
        environment["OUTBOX_LEASE"] = "soon"
        let worker = try WorkerProcess(["--check-config"], environment: environment)
        #expect(await worker.waitForExit() == 78)
        #expect(worker.stderr.contains("OUTBOX_LEASE = \"soon\""))
    }
}
