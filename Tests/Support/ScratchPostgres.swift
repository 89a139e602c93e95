import Foundation
import Logging
import OutboxPostgres
import PostgresNIO

/// A database of its own on ``LocalPostgres``'s server (copied from template0, migrated to the
/// binary's schema), with a running client: what every PostgreSQL test starts from.
public final class ScratchPostgres: Sendable {
    /// Its URL (no password: ``LocalPostgres`` trusts local connections).
    public let url: String
    /// A client on it; running until ``close()``.
    public let client: PostgresClient
    private let runner: Task<Void, Never>

    /// Whether PostgreSQL tests run: a server can be had, or one is required (then they fail without).
    public static var available: Bool {
        if case .success = LocalPostgres.shared { return true }
        return LocalPostgres.required
    }

    /// A logger that drops everything (the tests' PostgreSQL clients and stores).
    public static let quiet = Logger(label: "pg-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A client on `url` (not yet running), password from `PGPASSWORD` if set.
    public static func client(_ url: String, maximumConnections: Int = 12) throws -> PostgresClient {
        var configuration = try PostgresLocation(url).clientConfiguration(
            password: ProcessInfo.processInfo.environment["PGPASSWORD"])
        configuration.options.maximumConnections = maximumConnections
        return PostgresClient(configuration: configuration, backgroundLogger: quiet)
    }

    private init(url: String, client: PostgresClient) {
        self.url = url
        self.client = client
        runner = Task { await client.run() }
    }

    /// A new database named `prefix_…`, migrated unless `migrated` is false (then empty). Throws
    /// ``LocalPostgres/Unavailable`` without a server.
    public static func make(prefix: String = "outbox", maximumConnections: Int = 12, migrated: Bool = true) async throws
        -> ScratchPostgres
    {
        let server = try LocalPostgres.shared.get()
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        let admin = ScratchPostgres(url: server.url, client: try client(server.url, maximumConnections: 1))
        defer { admin.close() }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"))
        let url = server.url(database: name)
        let database = ScratchPostgres(url: url, client: try client(url, maximumConnections: maximumConnections))
        if migrated { try await PostgresStore(client: database.client, location: url, logger: quiet).migrate() }
        return database
    }

    /// Stops the client.
    public func close() { runner.cancel() }

    /// The first column of the first row of `sql`, a count or other bigint (0 when no row).
    public func number(_ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }
}
