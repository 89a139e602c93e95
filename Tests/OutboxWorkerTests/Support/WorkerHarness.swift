import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Testing
import OutboxTestSupport

@testable import OutboxWorker

/// A worker and an in-process simulator sharing one manual clock and a fresh database file,
/// talking over loopback through the real AsyncHTTPClient transport.
final class WorkerHarness: Sendable {
    let directory: URL
    let path: String
    let clock: ManualWallClock
    let simulator: PaywallSimulator
    let transport: HTTPClientTransport
    let store: OutboxStore
    let configuration: WorkerConfiguration

    init(
        device: DeviceSettings = DeviceSettings(takeDelayMillis: 60_000, processingMillis: 1_000, defaultOutcome: .alwaysSucceed),
        faults: FaultSettings = .none, seed: UInt64 = 7, adjust: (inout WorkerConfiguration) -> Void = { _ in }
    ) async throws {
        directory = Scratch.url("worker-test")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("outbox.sqlite").path
        // The database stamps created_at with real time: the manual clock starts there.
        clock = ManualWallClock(start: SystemWallClock().now())
        simulator = try await PaywallSimulator.start(
            SimulatorConfiguration(seed: seed, device: device, faults: faults, clock: clock, tickIntervalMillis: 20),
            logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() }))
        let base = await simulator.baseURL
        var configuration = testConfiguration(path: path, baseURL: base)
        configuration.idlePollMillis = 20
        configuration.concurrency = 4
        adjust(&configuration)
        self.configuration = configuration
        transport = HTTPClientTransport(connectTimeout: .seconds(2))
        store = try OutboxStore(OutboxStoreConfiguration(path: path))
    }

    /// Runs a worker while `body` runs, then shuts it down gracefully.
    /// `logger`: where the worker logs (default: stderr, critical only unless `WORKER_TEST_LOG`
    /// is set).
    func withWorker<T: Sendable>(
        id: String = "test-worker", logger: Logger? = nil, _ body: @Sendable (OutboxWorker) async throws -> T
    ) async throws -> T {
        var configuration = self.configuration
        configuration.workerID = id
        let worker = try OutboxWorker(
            configuration: configuration, store: SQLiteWorkerStore(configuration.store), transport: transport, clock: clock,
            logger: logger ?? Self.standardErrorLogger)
        let task = Task { try await worker.run() }
        do {
            let result = try await body(worker)
            task.cancel()
            try await task.value
            return result
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
    }

    static var standardErrorLogger: Logger {
        var logger = Logger(label: "worker", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["WORKER_TEST_LOG"] != nil ? .debug : .critical
        return logger
    }

    /// Waits (polling the database, bounded in real time) until `condition` holds.
    func eventually(
        _ what: String, timeout: Duration = .seconds(20), _ condition: @Sendable () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for: \(what); at \(clock.now()) (manual clock) the outbox held:\n\(unfinished())")
        throw CancellationError()
    }

    /// The commands not finished, one line each, to say what a timed-out wait was stuck on.
    func unfinished() -> String {
        let rows = (try? store.list(CommandFilter(states: [.pending, .inFlight], limit: 50))) ?? []
        return rows.map {
            "  #\($0.id) \($0.kindName) \($0.state.rawValue) attempts=\($0.attempts) due_at=\($0.dueAt) "
                + "needs_reconcile=\($0.needsReconcile) lease=\($0.leaseOwner ?? "-") last_error=\($0.lastError ?? "-")"
        }.joined(separator: "\n")
    }

    /// The outcome rows of the inbox.
    func outcomes() throws -> [InboxRow] {
        try store.inbox(after: 0, limit: 10_000).filter { $0.event == "outcome" }
    }

    func finish() async {
        await simulator.shutdown()
        try? await transport.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

enum Payloads {
    static func sale(_ key: String, amount: String = "22.10", terminal: String = "T1") -> String {
        #"{"TerminalTagCode":"\#(terminal)","MerchantUniqueCode":"\#(key)","Amount":\#(amount),"CurrencyId":1,"Products":[{"Name":"Item","TaxGroupId":20,"UnitCodeId":4,"Amount":\#(amount),"Quantity":1}]}"#
    }

    static func key() -> String { UUID().uuidString.lowercased() }
}
