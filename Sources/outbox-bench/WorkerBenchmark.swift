import ArgumentParser
import Foundation
import Logging
import OutboxModel
import OutboxStore
import OutboxWorker
import PaywallClient
import PaywallSimulator

/// `outbox-bench worker`: drains commands through a real worker to the simulator on loopback.
struct WorkerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Print drain rate, insert-to-send latency percentiles and idle CPU of a worker against the simulator.")

    @Option(help: "Commands queued in one burst for the drain-rate run.")
    var count = 2_000

    @Option(help: "Commands inserted one at a time for the latency run.")
    var latencySamples = 200

    @Option(help: "Commands the worker sends at once.")
    var concurrency = 16

    @Option(help: "Seconds to measure the CPU of an idle worker.")
    var idleSeconds = 5

    @Flag(
        help: "Follow every accepted sale's payment (terminals never finish, reads due again 1 ms after each answer): prints the status reads per second sustained during the drain. Compare the drain with a run without it."
    )
    var follow = false

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("worker-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bench.sqlite").path
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        // The simulator's device clock is not needed here: no tick loop, so idle CPU is the worker's.
        let simulator = try await PaywallSimulator.start(
            SimulatorConfiguration(
                seed: 1,
                device: follow
                    ? DeviceSettings(takeDelayMillis: 86_400_000, defaultOutcome: .alwaysSucceed)
                    : DeviceSettings(defaultOutcome: .alwaysSucceed), tickIntervalMillis: 0,
                                   callbackHashKey: nil, requestLogLimit: 1_000_000),
            logger: quiet)
        let base = await simulator.baseURL
        let transport = HTTPClientTransport(connectTimeout: .seconds(2), connectionsPerHost: concurrency)
        var configuration = WorkerConfiguration(
            store: OutboxStoreConfiguration(path: path),
            paywall: PaywallConfiguration(
                physicalBaseURL: base, paymentBaseURL: base,
                privateCredentials: PaywallCredentials(apiKey: "sim-private-key", apiClient: "sim-private-client"),
                publicCredentials: PaywallCredentials(apiKey: "sim-public-key", apiClient: "sim-public-client")),
            workerID: "bench-worker")
        configuration.concurrency = concurrency
        // Off unless --follow: then every read slot is busy all the time (the worst case).
        configuration.follow = follow
            ? PaymentFollowPolicy(firstIntervalMillis: 1, capMillis: 1) : PaymentFollowPolicy(enabled: false)
        let worker = OutboxWorker(
            configuration: configuration, store: try SQLiteWorkerStore(configuration.store), transport: transport,
            logger: quiet)
        // The producer: its own connection, as another process would have.
        let producer = try OutboxStore(OutboxStoreConfiguration(path: path))
        let clock = SystemWallClock()
        let task = Task { try await worker.run() }
        print("outbox-bench worker: count=\(count) latency-samples=\(latencySamples) concurrency=\(concurrency) follow=\(follow)")

        // Latency: one INSERT at a time, 5 ms apart; time from commit to the simulator receiving it.
        var inserted: [String: EpochMillis] = [:]
        for _ in 0..<latencySamples {
            let command = benchSale()
            _ = try producer.enqueue(command)
            inserted[command.commandKey] = clock.now()
            try await Task.sleep(for: .milliseconds(5))
        }
        try await waitForOutcomes(producer, latencySamples)
        var latencies: [Int64] = []
        for request in await simulator.receivedRequests() where request.path.hasSuffix("/sale") {
            if let key = inserted.keys.first(where: { request.body.contains($0) }), let at = inserted[key] {
                latencies.append(request.receivedAt - at)
            }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Int64 {
            latencies.isEmpty ? -1 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        print("  insert→send latency (ms, wall clock, ms resolution): p50 \(percentile(0.5))  p90 \(percentile(0.9))  p99 \(percentile(0.99))  max \(latencies.last ?? -1)  (n=\(latencies.count))")

        // Drain rate: a burst of inserts, then time until every outcome is in the inbox.
        let readsBefore = try producer.followSummary().reads
        let start = ContinuousClock.now
        for _ in 0..<count { _ = try producer.enqueue(benchSale()) }
        let insertSeconds = seconds(since: start)
        try await waitForOutcomes(producer, latencySamples + count)
        let total = seconds(since: start)
        print(String(format: "  drain        %9.0f commands/s (%d sales inserted in %.2f s, all outcomes after %.2f s)", Double(count) / total, count, insertSeconds, total))
        if follow {
            let summary = try producer.followSummary()
            print(String(format: "  follow       %9.0f status reads/s during the drain (%d reads, %d payments followed at the end, %d read slots)", Double(summary.reads - readsBefore) / total, summary.reads - readsBefore, summary.following, configuration.follow.readSlots(concurrency: concurrency)))
        }

        // Idle CPU: nothing queued; the worker waits on inotify and its idle tick. (Not with
        // --follow: its reads never stop.)
        if follow {
            // Nothing left to send: every read slot on the followed payments.
            let before = try producer.followSummary().reads
            let readStart = ContinuousClock.now
            try await Task.sleep(for: .seconds(3))
            let reads = try producer.followSummary().reads - before
            print(String(format: "  follow idle  %9.0f status reads/s with nothing to send (%d reads in %.1f s)", Double(reads) / seconds(since: readStart), reads, seconds(since: readStart)))
            task.cancel()
            _ = try? await task.value
            await simulator.shutdown()
            try? await transport.shutdown()
            return
        }
        try await Task.sleep(for: .milliseconds(500))
        let cpuBefore = processCPUSeconds()
        let idleStart = ContinuousClock.now
        try await Task.sleep(for: .seconds(idleSeconds))
        let cpu = processCPUSeconds() - cpuBefore
        print(String(format: "  idle CPU     %9.2f %% of one core over %.1f s (idle poll %d ms)", 100 * cpu / seconds(since: idleStart), seconds(since: idleStart), configuration.idlePollMillis))

        task.cancel()
        _ = try? await task.value
        await simulator.shutdown()
        try? await transport.shutdown()
    }

    func waitForOutcomes(_ store: OutboxStore, _ expected: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while try store.inbox(after: 0, limit: 1_000_000).filter({ $0.event == "outcome" }).count < expected {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out waiting for outcomes") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
