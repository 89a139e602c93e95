import Foundation
import Logging
import OutboxModel
import OutboxPostgres
import OutboxStore
import PostgresNIO

/// What a command does with the database, which decides how it is opened.
enum StoreAccess {
    /// `inspect`: SQLite read-only; PostgreSQL in read-only transactions.
    case read
    /// A repair: commits flushed (SQLite `synchronous = FULL`; PostgreSQL `synchronous_commit = on`).
    case write
}

extension GlobalOptions {
    /// Runs `body` with the outbox at `--db` opened for `access`, and closes it after. On
    /// PostgreSQL the console `body` gets keeps time by the database server's clock (the one every
    /// worker keeps leases and due times by); on SQLite it is `console` unchanged.
    ///
    /// Never creates or migrates a database: a missing SQLite file is `notFound` (exit 2), a schema
    /// older or newer than this binary `schema` (exit 5). A `postgres://` URL carrying a password
    /// is refused before anything is printed (exit 64); the password comes from `PGPASSWORD` or
    /// the file `OUTBOX_DB_PASSWORD_FILE` names. `--busy-timeout` bounds lock waits on both
    /// engines (PostgreSQL's `lock_timeout`; exit 4 when it passes).
    func withStore<T: Sendable>(
        _ console: Console, _ access: StoreAccess, _ body: (any OperatorStore, Console) async throws -> T
    ) async throws -> T {
        let target = databasePath(environment: console.environment)
        guard DatabaseURL.isPostgres(target) else {
            let store = try OutboxStore(
                OutboxStoreConfiguration(
                    path: target, busyTimeoutSeconds: busyTimeout, synchronous: access == .write ? .full : .normal,
                    readOnly: access == .read, createIfMissing: false, migrate: false))
            return try await body(store, console)
        }
        return try await withPostgres(target, console, access, migrateOnly: false) { store, console in
            try await body(store, console)
        }
    }

    /// Opens the PostgreSQL outbox at `url`, runs `body`, and stops the connection pool after.
    /// Unless `migrateOnly`, the database must be at this binary's schema version.
    func withPostgres<T: Sendable>(
        _ url: String, _ console: Console, _ access: StoreAccess, migrateOnly: Bool,
        _ body: (PostgresStore, Console) async throws -> T
    ) async throws -> T {
        let location: PostgresLocation
        let password: String?
        do {
            location = try PostgresLocation(url)
            password = try PostgresLocation.password(from: console.environment)
        } catch {
            if case .passwordFile = error { throw CLIError(.failure, error.description) }
            throw CLIError(.usage, error.description)
        }
        var configuration = location.clientConfiguration(password: password)
        configuration.options.additionalStartupParameters = Self.startupParameters(
            access: access, busyTimeoutSeconds: busyTimeout)
        let logger = Logger(label: "outbox", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let pool = Task { await client.run() }
        defer { pool.cancel() }
        let store = PostgresStore(client: client, location: location.description, logger: logger)
        let clock = PostgresServerClock()
        try await Self.reach(location, timeout: configuration.options.connectTimeout) {
            // One connection of its own first: the server's refusal (no such database or role, a
            // wrong password, nothing listening) comes back at once, where the pool would retry.
            try await location.probe(password: password, logger: logger)
            try await clock.refresh(client, logger: logger)
        }
        if !migrateOnly { try await store.migrate(false) }
        var onServerTime = console
        onServerTime.clock = clock
        return try await body(store, onServerTime)
    }

    /// The session settings the CLI asks PostgreSQL for: lock waits bounded by `--busy-timeout`,
    /// and for `inspect` transactions that cannot write.
    static func startupParameters(access: StoreAccess, busyTimeoutSeconds: Double) -> [(String, String)] {
        // lock_timeout 0 means "wait for ever": --busy-timeout 0 (give up at once) is 1 ms.
        let lockTimeout = max(1, Int64((busyTimeoutSeconds * 1_000).rounded()))
        var parameters = [("application_name", "outbox"), ("lock_timeout", "\(lockTimeout)")]
        if access == .read { parameters.append(("default_transaction_read_only", "on")) }
        return parameters
    }

    /// Runs the first exchange with the server, failing with a clear message when it cannot be
    /// reached within `timeout` (the pool would otherwise keep trying to connect).
    static func reach(_ location: PostgresLocation, timeout: Duration, _ first: @escaping @Sendable () async throws -> Void)
        async throws
    {
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await first()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                let reached = try await group.next() ?? false
                group.cancelAll()
                if !reached { throw CLIError(.failure, "cannot reach the PostgreSQL server at \(location) within \(timeout)") }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(.failure, "cannot open the PostgreSQL outbox at \(location): \(OutboxStoreError.postgres(error).message)")
        }
    }
}
