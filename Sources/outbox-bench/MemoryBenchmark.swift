import ArgumentParser
import Foundation
import Logging
import OutboxModel
import OutboxStore
import OutboxWorker
import PaywallClient

/// `outbox-bench memory`: does the worker's memory grow with the commands it has processed?
///
/// Drains `--first` sales, notes the resident set size, drains `--then` more, notes it again,
/// and prints both with their ratio. The Paywall side is a fixed answer in memory that keeps
/// nothing, so what grows is the worker's (and SQLite's bounded page cache). The ratio is the
/// figure to read: per-command growth shows as a ratio far above 1. A test runs a small version.
struct MemoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Print the worker's RSS after draining --first and then --then more commands, and their ratio.")

    @Option(help: "Commands drained before the first RSS reading.")
    var first = 1_000

    @Option(help: "Commands drained after that, before the second reading.")
    var then = 20_000

    @Option(help: "Commands the worker sends at once.")
    var concurrency = 16

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memory-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bench.sqlite").path
        var configuration = WorkerConfiguration(
            store: OutboxStoreConfiguration(path: path),
            paywall: PaywallConfiguration(
                physicalBaseURL: "http://paywall.invalid", paymentBaseURL: "http://paywall.invalid",
                privateCredentials: PaywallCredentials(apiKey: "bench-private-key", apiClient: "bench-private-client"),
                publicCredentials: PaywallCredentials(apiKey: "bench-public-key", apiClient: "bench-public-client")),
            workerID: "memory-bench")
        configuration.concurrency = concurrency
        configuration.idlePollMillis = 50
        let worker = OutboxWorker(
            configuration: configuration, store: try SQLiteWorkerStore(configuration.store), transport: FixedAnswerTransport(),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let producer = try OutboxStore(OutboxStoreConfiguration(path: path))
        let task = Task { try await worker.run() }
        defer { task.cancel() }

        try await drain(producer, count: first, total: first)
        let rssFirst = residentBytes()
        try await drain(producer, count: then, total: first + then)
        let rssThen = residentBytes()
        task.cancel()
        _ = try? await task.value
        let ratio = Double(rssThen) / Double(max(rssFirst, 1))
        if json {
            print(#"{"first":\#(first),"then":\#(then),"rss_after_first":\#(rssFirst),"rss_after_then":\#(rssThen)}"#)
        } else {
            print("outbox-bench memory: first=\(first) then=\(then) concurrency=\(concurrency)")
            print(String(format: "  RSS after %7d commands  %8.1f MB", first, Double(rssFirst) / 1_048_576))
            print(String(format: "  RSS after %7d commands  %8.1f MB  (%.2f× the first reading)", first + then, Double(rssThen) / 1_048_576, ratio))
        }
    }

    /// Queues `count` sales and waits until the inbox holds `total` outcomes.
    func drain(_ store: OutboxStore, count: Int, total: Int) async throws {
        for _ in 0..<count {
            let key = UUID().uuidString.lowercased()
            _ = try store.enqueue(
                NewCommand(
                    commandKey: key, kind: .asyncSale,
                    payload: #"{"TerminalTagCode":"BENCH","MerchantUniqueCode":"\#(key)","Amount":1.00,"CurrencyId":1}"#))
        }
        let deadline = ContinuousClock.now + .seconds(900)
        var cursor: Int64 = 0
        var seen = 0
        while seen < total {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out waiting for outcomes") }
            let rows = try store.inbox(after: cursor, limit: 10_000)
            if rows.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            seen += rows.filter { $0.event == "outcome" }.count
            cursor = rows.last?.id ?? cursor
        }
    }
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Answers every request with one fixed sale acceptance and keeps nothing.
struct FixedAnswerTransport: PaywallTransport {
    static let body = #"{"Result":{"PaymentRequestId":"7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false}"#

    func send(_ request: PaywallRequest, timeout: Duration) async throws(PaywallTransportError) -> PaywallHTTPResponse {
        PaywallHTTPResponse(status: 200, headers: PaywallHeaders(), text: Self.body)
    }
}
