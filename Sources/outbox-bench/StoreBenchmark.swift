import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore

/// `outbox-bench store`: producer insert rate and claim+record rates on a fresh file.
struct StoreBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Print producer insert rate and claim+record rates on a fresh database file.")

    @Option(help: "Commands to insert and then drain.")
    var count = 10_000

    @Option(help: "Finished rows to put in the table first (shows they do not slow claiming).")
    var finished = 0

    @Option(help: "Batch size of the batched claim+record run.")
    var batch = 64

    @Option(help: "synchronous setting: normal or full.")
    var synchronous = "normal"

    @Option(help: "Directory for the scratch database (default: a temporary directory).")
    var directory: String?

    func validate() throws {
        guard count > 0, batch > 0, finished >= 0 else { throw ValidationError("--count and --batch must be positive") }
        guard OutboxStoreConfiguration.Synchronous(rawValue: synchronous.uppercased()) != nil else {
            throw ValidationError("--synchronous must be normal or full")
        }
    }

    func run() throws {
        let dir = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("outbox-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(at: dir) } }
        let sync = OutboxStoreConfiguration.Synchronous(rawValue: synchronous.uppercased())!
        let store = try OutboxStore(OutboxStoreConfiguration(path: dir.appendingPathComponent("bench.sqlite").path, synchronous: sync))
        let clock = SystemWallClock()
        print("outbox-bench store: count=\(count) finished=\(finished) batch=\(batch) synchronous=\(synchronous)")

        if finished > 0 {
            let start = ContinuousClock.now
            try store.insertFinishedForBenchmark(count: finished, now: clock.now())
            print(String(format: "  prefill      %9d finished rows in %.1f s", finished, seconds(since: start)))
        }

        // Producers: one INSERT per command, each its own transaction, as a producer does.
        let commands = (0..<(count * 2)).map { _ in benchSale() }
        var start = ContinuousClock.now
        for command in commands { _ = try store.enqueue(command) }
        let insertRate = Double(commands.count) / seconds(since: start)
        print(String(format: "  insert       %9.0f commands/s (single-row transactions)", insertRate))

        // Worker: claim one, record one.
        start = ContinuousClock.now
        var drained = 0
        while drained < count {
            let now = clock.now()
            let claimed = try store.claim(owner: "bench", now: now, limit: 1, leaseMillis: 30_000)
            guard let command = claimed.first else { break }
            try store.record([claimedOutcome(command, owner: "bench", now: now)], worker: "bench", now: now)
            drained += 1
        }
        print(String(format: "  claim+record %9.0f commands/s (one at a time)", Double(drained) / seconds(since: start)))

        // Worker: claim a batch, record the batch in one transaction.
        start = ContinuousClock.now
        drained = 0
        while true {
            let now = clock.now()
            let claimed = try store.claim(owner: "bench", now: now, limit: batch, leaseMillis: 30_000)
            if claimed.isEmpty { break }
            _ = try store.recordEach(claimed.map { [claimedOutcome($0, owner: "bench", now: now)] }, worker: "bench", now: now)
            drained += claimed.count
        }
        print(String(format: "  claim+record %9.0f commands/s (batches of %d)", Double(drained) / seconds(since: start), batch))
        let checkpoint = try store.checkpoint(.truncate, truncateWaitMillis: 5_000)
        print("  wal pages at end: \(checkpoint.walPages)")
    }
}
