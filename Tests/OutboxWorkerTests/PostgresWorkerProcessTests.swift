import Foundation
import Logging
import OutboxModel
import OutboxPostgres
import OutboxStore
import OutboxTestSupport
import PostgresNIO
import Testing

/// Several `worker` processes on one PostgreSQL database, as if on several machines (issue 14).
@Suite("Worker processes on one PostgreSQL database", .serialized, .enabled(if: PostgresWorkerDatabase.available))
struct PostgresWorkerProcessTests {
    @Test("three workers on one database, SIGKILLed one after another mid-drain: one outcome per command, no sale charged twice")
    func killedWorkers() async throws {
        // Slow answers (20 ms), lost answers and errors: kills land mid-send and reconciliation has work.
        let sim = try await SimulatorProcess([
            "--error-rate", "0.05", "--drop-rate", "0.05", "--slow-rate", "0.9", "--slow-delay", "0.02", "--seed", "14",
        ])
        defer { sim.stop() }
        let database = try await PostgresWorkerDatabase.make()
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

/// A database of its own on ``LocalPostgres``'s server, migrated, with a client to read it.
final class PostgresWorkerDatabase: Sendable {
    /// Whether these tests run: a server can be had, or one is required (then they fail without).
    static var available: Bool {
        if case .success = LocalPostgres.shared { return true }
        return LocalPostgres.required
    }

    let url: String
    let client: PostgresClient
    let runner: Task<Void, Never>

    private init(url: String, client: PostgresClient) {
        self.url = url
        self.client = client
        runner = Task { await client.run() }
    }

    static let quiet = Logger(label: "pg-test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func make() async throws -> PostgresWorkerDatabase {
        let server = try LocalPostgres.shared.get()
        let name = "workers_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = PostgresWorkerDatabase(url: server.url, client: try client(server.url))
        defer { admin.close() }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"))
        let url = server.url(database: name)
        let database = PostgresWorkerDatabase(url: url, client: try client(url))
        try await PostgresWorkerStore(client: database.client, location: url, logger: quiet).migrate()
        return database
    }

    static func client(_ url: String) throws -> PostgresClient {
        var configuration = try PostgresLocation(url).clientConfiguration(password: nil)
        configuration.options.maximumConnections = 4
        return PostgresClient(configuration: configuration, backgroundLogger: quiet)
    }

    func close() { runner.cancel() }

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

    private func number(_ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
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
