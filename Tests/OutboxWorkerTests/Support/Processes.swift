import Foundation
import OutboxTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A child process whose stderr is collected, for tests that start the real binaries.
final class Child: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errText = ""
    private var outText = ""

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let err = Pipe()
        let out = Pipe()
        process.standardError = err
        process.standardOutput = out
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.errText += String(decoding: data, as: UTF8.self) }
        }
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.outText += String(decoding: data, as: UTF8.self) }
        }
        try ChildProcess.start(process)
    }

    var stderr: String { lock.withLock { errText } }
    var stdout: String { lock.withLock { outText } }

    /// Waits (bounded) until stderr contains `text`; returns the line. The bound is one only a
    /// stuck process reaches: the wait ends as soon as the line comes or the process exits, and a
    /// start on a machine busy with the rest of the suite took more than 20 s (a failed full run).
    func waitForLine(containing text: String, timeout: Duration = .seconds(120)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stderr.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no line with \(text); stderr: \(stderr.suffix(2000))")
        throw CancellationError()
    }

    /// Waits (bounded) for the process to exit; returns its status.
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            process.terminate()
            Issue.record("process did not exit in time; stderr: \(stderr.suffix(2000))")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The `paywall-sim` binary on an ephemeral loopback port.
final class SimulatorProcess: Sendable {
    let child: Child
    let baseURL: String

    init(_ extra: [String] = []) async throws {
        child = try Child(BuiltProducts.path("paywall-sim"), ["--port", "0", "--outcome", "always_succeed", "--device-delay", "600"] + extra)
        let line = try await child.waitForLine(containing: "sim.base_url=")
        let field = line.split(separator: " ").first { $0.hasPrefix("sim.base_url=") } ?? ""
        baseURL = String(field.dropFirst("sim.base_url=".count))
    }

    /// `GET /_sim/sales`: sale requests per MerchantUniqueCode.
    func sales() async throws -> [String: [String: Int]] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: baseURL + "/_sim/sales")!)
        return try JSONDecoder().decode([String: [String: Int]].self, from: data)
    }

    func stop() { child.process.terminate() }
}

/// Arguments and environment for a `worker` process pointed at a simulator process.
func workerArguments(db: String, simulator: String, id: String, extra: [String] = []) -> [String] {
    [
        "--db", db, "--physical-base-url", simulator, "--payment-base-url", simulator, "--allow-insecure-http",
        "--worker-id", id, "--lease", "3s", "--request-timeout", "2s", "--connect-timeout", "500ms", "--concurrency", "4",
        "--backoff-base", "50ms", "--backoff-cap", "500ms", "--landing-grace", "300ms", "--log-level", "info",
    ] + extra
}

let simulatorCredentials = [
    "PAYWALL_PRIVATE_API_KEY": "sim-private-key", "PAYWALL_PRIVATE_API_CLIENT": "sim-private-client",
    "PAYWALL_PUBLIC_API_KEY": "sim-public-key", "PAYWALL_PUBLIC_API_CLIENT": "sim-public-client",
]
