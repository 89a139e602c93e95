import Foundation
import OutboxModel
import OutboxTestSupport
import PostgresNIO
import Testing

/// Several `worker` processes on one PostgreSQL database, as if on several machines (issue 14).
@Suite("Worker processes on one PostgreSQL database", .serialized, .enabled(if: ScratchPostgres.available))
struct PostgresWorkerProcessTests {
    @Test("three workers on one database, SIGKILLed one after another mid-drain: one outcome per command, no sale charged twice")
    func killedWorkers() async throws {
        // Slow answers (20 ms), lost answers and errors: kills land mid-send and reconciliation has work.
        let sim = try await SimulatorProcess([
            "--error-rate", "0.05", "--drop-rate", "0.05", "--slow-rate", "0.9", "--slow-delay", "0.02", "--seed", "14",
        ])
        defer { sim.stop() }
        let database = try await ScratchPostgres.make(prefix: "workers", maximumConnections: 4)
        defer { database.close() }
        let keys = try await database.queueSales(300)
        func start(_ id: String) throws -> Child {
            try Child(
                BuiltProducts.path("worker"), workerArguments(db: database.url, simulator: sim.baseURL, id: id),
                environment: simulatorCredentials)
        }
        var workers = try (0..<3).map { try start("machine-\($0)") }
        var killed = 0
        for round in 0..<6 {
            let before = try await database.outcomes()
            if before >= keys.count { break }
            // Kill one once the drain has moved on since the last kill.
            let deadline = ContinuousClock.now + .seconds(30)
            while try await database.outcomes() <= before && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let victim = round % workers.count
            workers[victim].kill9()
            if try await database.outcomes() < keys.count { killed += 1 }
            workers[victim] = try start("machine-\(victim)-again-\(round)")
        }
        #expect(killed >= 2, "workers should have been killed mid-drain at least twice")
        // The survivors finish (leases of the killed ones expire after 3 s and are reconciled).
        let deadline = ContinuousClock.now + .seconds(180)
        while try await database.outcomes() < keys.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        for worker in workers {
            worker.process.terminate()
            #expect(try await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
        }
        let states = try await database.states()
        #expect(try await database.outcomes() == keys.count, "one outcome per command")
        #expect(try await database.distinctOutcomes() == keys.count)
        #expect(states == ["succeeded": keys.count], "\(states)")
        let sales = try await sim.sales()
        for key in keys {
            #expect(sales[key]?["accepted"] == 1, "sale \(key) accepted \(sales[key]?["accepted"] ?? 0) times")
        }
    }
}

/// What the test reads and writes in its scratch database.
extension ScratchPostgres {
    /// `count` sales, queued as a producer would; their keys.
    func queueSales(_ count: Int) async throws -> [String] {
        var keys: [String] = []
        for index in 0..<count {
            let key = UUID().uuidString.lowercased()
            let payload = Payloads.sale(key, amount: "\(index + 1).10")
            try await client.query(
                "INSERT INTO outbox (command_key, kind, payload) VALUES (\(key), 'async_sale', \(payload))")
            keys.append(key)
        }
        return keys
    }

    func outcomes() async throws -> Int { try await number("SELECT count(*) FROM inbox WHERE event = 'outcome'") }

    func distinctOutcomes() async throws -> Int {
        try await number("SELECT count(DISTINCT outbox_id) FROM inbox WHERE event = 'outcome'")
    }

    func states() async throws -> [String: Int] {
        let rows = try await client.query("SELECT state, count(*) FROM outbox GROUP BY state")
        var states: [String: Int] = [:]
        for try await (state, count) in rows.decode((String, Int64).self) { states[state] = Int(count) }
        return states
    }
}
