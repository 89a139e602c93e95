import Foundation
import GRDB
import OutboxStore

/// What every section of `outbox-bench outside` shares: the scratch directory, the stand-in, the
/// Python environment, the worker binary and how to start it.
struct OutsideRig: Sendable {
    let directory: String
    let standIn: StandIn
    let python: PythonEnvironment
    let workerBinary: String
    let workerLogLevel: String
    let census: SQLCensus?
    /// Whether workers serve /metrics (`--metrics`: the cost of metrics on the drain).
    var metrics = false
    /// Deadline given to every queued sale (ms from its insert): long enough that nothing expires
    /// while a large backlog drains.
    let deadlineMillis = 7_200_000

    /// Progress on stderr (the table goes to stdout at the end).
    func log(_ text: String) {
        let load = ProcFS.loadAverage()
        FileHandle.standardError.write(Data("[outside \(String(format: "%.1f", load))] \(text)\n".utf8))
    }

    /// A fresh database at the current schema (created and migrated as `outbox migrate` does).
    func newDatabase(_ name: String) throws -> String {
        let path = "\(directory)/\(name)-\(UUID().uuidString.prefix(8)).sqlite"
        _ = try OutboxStore(OutboxStoreConfiguration(path: path))
        return path
    }

    /// Removes a database and its WAL files.
    func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Queues `count` sales from a Python producer process (transactions of 1,000 rows).
    @discardableResult
    func fill(_ path: String, count: Int) async throws -> Double {
        let out = try await python.run(["fill", path, "\(count)", "1000", "\(deadlineMillis)"])
        return out["seconds"] as? Double ?? 0
    }

    /// Starts `worker` on `path` against the stand-in.
    /// With `census`, the SQL census library is preloaded; with `strace`, the worker runs under
    /// `strace -f -c -o <strace>` (the returned process measures and signals the worker itself).
    func startWorker(_ path: String, concurrency: Int, census: Bool = false, strace: String? = nil) async throws
        -> ChildProcess
    {
        var environment = [
            "PAYWALL_PRIVATE_API_KEY": "bench-private-key", "PAYWALL_PRIVATE_API_CLIENT": "bench-private-client",
            "PAYWALL_PUBLIC_API_KEY": "bench-public-key", "PAYWALL_PUBLIC_API_CLIENT": "bench-public-client",
        ]
        if census, let self_census = self.census {
            environment.merge(self_census.environment) { _, new in new }
        }
        let arguments = [
            "--db", path, "--physical-base-url", standIn.baseURL, "--payment-base-url", standIn.baseURL,
            "--allow-insecure-http", "--concurrency", "\(concurrency)", "--worker-id", "bench-worker",
            "--log-level", workerLogLevel,
            // The drain figures measure sending: payment status reads (issue 12) are off here, as
            // the fixed-answer stand-in has no payments to follow (`outbox-bench worker
            // --follow` measures them).
            "--follow-interval", "0",
        ] + (metrics ? ["--metrics-address", "127.0.0.1:0"] : [])
        guard let strace else {
            return try ChildProcess(
                name: "worker", executable: workerBinary, arguments: arguments, environment: environment,
                directory: directory)
        }
        let child = try ChildProcess(
            name: "worker-strace", executable: "/usr/bin/env",
            arguments: ["strace", "-f", "-c", "-o", strace, workerBinary] + arguments, environment: environment,
            directory: directory)
        try await child.followChild()
        return child
    }

    /// Outcomes in the inbox of `path`, by outcome.
    func outcomes(_ path: String) throws -> [String: Int] {
        try reader(path).read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT outcome, count(*) FROM inbox WHERE event = 'outcome' GROUP BY outcome")
            {
                counts[row[0] ?? "?"] = row[1]
            }
            return counts
        }
    }

    /// A plain connection for counting outcomes (it only reads; not read-only, because a
    /// read-only connection cannot open a WAL database whose -shm the last writer removed).
    func reader(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Waits until the stand-in has seen `count` requests since its last reset and the inbox of
    /// `path` holds `count` outcomes (polled only after the requests are in, so the benchmark
    /// reads the database as little as possible while the worker works).
    /// Outcome rows already in the inbox (a prefilled history), so a drain counts only its own.
    func outcomeCount(_ path: String) throws -> Int {
        try reader(path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM inbox WHERE event = 'outcome'") ?? 0 }
    }

    func waitForOutcomes(
        _ path: String, count: Int, baseline: Int = 0, worker: ChildProcess, stallLimit: Duration = .seconds(60),
        onProgress: (Int) -> Void = { _ in }
    ) async throws -> ContinuousClock.Instant {
        var lastCount = -1
        var lastProgress = ContinuousClock.now
        while true {
            let seen = standIn.recorder.requests
            onProgress(seen)
            if seen >= count { break }
            if seen != lastCount {
                lastCount = seen
                lastProgress = .now
            } else if ContinuousClock.now - lastProgress > stallLimit {
                throw OutsideError("no request for \(stallLimit) after \(seen) of \(count): \(worker.stderrTail())")
            }
            if !worker.isRunning { throw OutsideError("the worker exited early: \(worker.stderrTail())") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let queue = try reader(path)
        while true {
            let done = try await queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM inbox WHERE event = 'outcome'") ?? 0 }
            if done - baseline >= count { return .now }
            if ContinuousClock.now - lastProgress > stallLimit {
                throw OutsideError("only \(done - baseline) of \(count) outcomes recorded: \(worker.stderrTail())")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
