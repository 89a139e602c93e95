import Foundation
import OutboxModel
import OutboxTestSupport
import OutboxStore
import Testing

@Suite("Worker processes on one database", .serialized)
struct WorkerProcessTests {
    static func queueSales(_ store: OutboxStore, count: Int) throws -> [String] {
        try (0..<count).map { index in
            let key = UUID().uuidString.lowercased()
            _ = try store.enqueue(
                NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key, amount: "\(index + 1).10")))
            return key
        }
    }

    static func checkExactlyOnce(_ store: OutboxStore, keys: [String], sim: SimulatorProcess) async throws {
        let inbox = try store.inbox(after: 0, limit: 100_000).filter { $0.event == "outcome" }
        let commands = try store.list(CommandFilter(limit: 100_000))
        #expect(inbox.count == commands.count, "one outcome per command")
        #expect(Set(inbox.map(\.outboxID)).count == commands.count)
        #expect(commands.allSatisfy { $0.state == .succeeded }, "\(commands.filter { $0.state != .succeeded }.map { ($0.id, $0.state, $0.lastError) })")
        let sales = try await sim.sales()
        for key in keys {
            let count = sales[key] ?? [:]
            #expect(count["accepted"] == 1, "sale \(key) accepted \(count["accepted"] ?? 0) times")
        }
    }

    @Test("a worker SIGKILLed again and again mid-drain loses nothing and charges nothing twice")
    func sigkillRepeatedly() async throws {
        // Slow answers (100 ms each) keep the drain going long enough to be killed in the middle:
        // 300 sales at concurrency 4 take about 7 s. With 20 ms answers (1.4 s) a worker made
        // faster by group commits drained everything between two of this test's looks in a full
        // run (killed mid-drain once, not twice): the look below can lag by a second when the
        // whole suite shares the machine.
        let sim = try await SimulatorProcess([
            "--error-rate", "0.05", "--drop-rate", "0.05", "--slow-rate", "0.9", "--slow-delay", "0.1", "--seed", "11",
        ])
        defer { sim.stop() }
        let directory = Scratch.url("crash")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        // Enough sales that a drain lasts several seconds at concurrency 4 (100 ms answers): the
        // kill below waits for the first outcome, and on a machine busy with the whole suite that
        // wait can lag by hundreds of ms; with 80 sales and outcomes committed in groups, one
        // worker could finish them all before its kill (a failed full run).
        let keys = try Self.queueSales(store, count: 300)
        var killedMidDrain = 0
        for round in 0..<6 {
            let before = try store.inbox(after: 0, limit: 100_000).count
            let worker = try Child(
                BuiltProducts.path("worker"), workerArguments(db: db, simulator: sim.baseURL, id: "doomed-\(round)"),
                environment: simulatorCredentials)
            // Kill it once it has made progress, mid-drain.
            let deadline = ContinuousClock.now + .seconds(20)
            while try store.inbox(after: 0, limit: 100_000).count <= before && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            worker.kill9()
            let done = try store.inbox(after: 0, limit: 100_000).count
            if done < keys.count { killedMidDrain += 1 } else { break }
        }
        #expect(killedMidDrain >= 2, "the worker should have been killed mid-drain at least twice")
        let last = try Child(
            BuiltProducts.path("worker"), workerArguments(db: db, simulator: sim.baseURL, id: "survivor", extra: ["--exit-when-idle"]),
            environment: simulatorCredentials)
        #expect(try await last.waitForExit() == 0, "\(last.stderr.suffix(3000))")
        try await Self.checkExactlyOnce(store, keys: keys, sim: sim)
    }

    @Test("two worker processes drain one file: every command claimed once, sent once")
    func twoWorkers() async throws {
        let sim = try await SimulatorProcess()
        defer { sim.stop() }
        let directory = Scratch.url("two")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let keys = try Self.queueSales(store, count: 150)
        let workers = try ["a", "b"].map {
            try Child(
                BuiltProducts.path("worker"), workerArguments(db: db, simulator: sim.baseURL, id: "worker-\($0)", extra: ["--exit-when-idle"]),
                environment: simulatorCredentials)
        }
        for worker in workers { #expect(try await worker.waitForExit() == 0, "\(worker.stderr.suffix(3000))") }
        try await Self.checkExactlyOnce(store, keys: keys, sim: sim)
        let sales = try await sim.sales()
        #expect(keys.allSatisfy { sales[$0]?["received"] == 1 }, "without faults every sale is sent exactly once")
        let attempts = try store.list(CommandFilter(limit: 1_000)).map(\.attempts)
        #expect(attempts.allSatisfy { $0 == 1 })
    }
}
