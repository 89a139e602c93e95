import Foundation
import Logging
import OutboxTestSupport
import PaywallClient
import PaywallSimulator
import ServiceLifecycle
import Testing

@Suite("Lifecycle: Service and the paywall-sim binary", .serialized)
struct LifecycleTests {
    @Test func runsAsAServiceUntilGracefulShutdown() async throws {
        let sim = PaywallSimulator(
            configuration: SimulatorConfiguration(port: 0, tickIntervalMillis: 10), logger: TestSupport.quietLogger)
        let group = ServiceGroup(
            configuration: .init(services: [sim], gracefulShutdownSignals: [], logger: TestSupport.quietLogger))
        let running = Task { try await group.run() }
        // start() is idempotent: awaiting it here returns once the service has bound (or binds).
        try await sim.start()
        let port = await sim.port
        #expect(TCPProbe.accepts(port: port))
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(!TCPProbe.accepts(port: port))
    }

    static var binary: URL? {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "paywall-sim")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    @Test(.enabled(if: binary != nil, "paywall-sim not built next to the test bundle"))
    func helpShowsAnExample() throws {
        let process = Process()
        guard let binary = Self.binary else { return }
        process.executableURL = binary
        process.arguments = ["--help"]
        let output = Pipe()
        process.standardOutput = output
        try ChildProcess.start(process)
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(text.contains("Example"))
        #expect(text.contains("--seed"))
        #expect(text.contains("--drop-rate"))
    }

    @Test(.enabled(if: binary != nil, "paywall-sim not built next to the test bundle"))
    func binaryServesLogsToStderrAndStopsOnSIGTERM() async throws {
        let process = Process()
        guard let binary = Self.binary else { return }
        process.executableURL = binary
        process.arguments = ["--port", "0", "--seed", "5", "--log-level", "info"]
        let errors = Pipe()
        let output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try ChildProcess.start(process)
        defer { if process.isRunning { process.terminate() } }
        // Read stderr until the listening line names the port.
        var collected = ""
        var port: Int?
        let handle = errors.fileHandleForReading
        while port == nil {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected += String(decoding: chunk, as: UTF8.self)
            if let range = collected.range(of: "sim.listener.port=") {
                let digits = collected[range.upperBound...].prefix { $0.isNumber }
                if !digits.isEmpty, collected[range.upperBound...].dropFirst(digits.count).first != nil {
                    port = Int(digits)
                }
            }
        }
        let bound = try #require(port, "stderr: \(collected)")
        let client = ContractTests.Client(baseURL: "http://127.0.0.1:\(bound)")
        let outcome = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(1)))
        try? await client.transport.shutdown()
        #expect(outcome.recordName == "succeeded", "\(outcome)")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect((collected + rest).contains("simulator stopped"))
        #expect(output.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }
}
