import Foundation
import Logging
import OutboxPostgres
import OutboxStore
import PostgresNIO

/// `--db postgres://…`: the PostgreSQL store, its pool running, migrated, and the server's
/// clock read (the worker keeps time by it).
struct PostgresOpening {
    let store: PostgresStore
    let clock: PostgresServerClock
    /// The pool and the clock's refresher; cancelled when the worker has stopped.
    let background: [Task<Void, Never>]

    /// Opens `url`, or returns the exit code and logs why not: 64 for a URL that is not
    /// usable (a password in it), 78 for an unreadable password file or a schema newer than
    /// this binary, 74 when the server cannot be reached or migrated.
    static func open(_ url: String, logger: Logger) async -> Result<PostgresOpening, ExitCodeFailure> {
        let location: PostgresLocation
        let password: String?
        do {
            location = try PostgresLocation(url)
        } catch {
            logger.critical("Invalid database URL", metadata: ["error": .string(error.description)])
            return .failure(ExitCodeFailure(code: WorkerExitCode.usage))
        }
        do {
            password = try PostgresLocation.password(from: ProcessInfo.processInfo.environment)
        } catch {
            logger.critical("Cannot read the database password", metadata: ["error": .string(error.description)])
            return .failure(ExitCodeFailure(code: WorkerExitCode.configuration))
        }
        let client = PostgresClient(configuration: location.clientConfiguration(password: password), backgroundLogger: logger)
        let pool = Task { await client.run() }
        let store = PostgresStore(client: client, location: location.description, logger: logger)
        let clock = PostgresServerClock()
        do {
            // One connection of its own first: the server's refusal (no such database or role, a
            // wrong password, nothing listening) is logged at once, where the pool would retry
            // for a minute.
            try await location.probe(password: password, logger: logger)
            try await store.migrate()
            try await clock.refresh(client, logger: logger)
        } catch {
            pool.cancel()
            logger.critical(
                "Cannot open the outbox database",
                metadata: ["config.db": .string(location.description), "error": .string("\(error)")])
            if (error as? OutboxStoreError)?.code == .schemaTooNew {
                return .failure(ExitCodeFailure(code: WorkerExitCode.configuration))
            }
            return .failure(ExitCodeFailure(code: WorkerExitCode.database))
        }
        let refresher = Task { await clock.keepRefreshed(client, logger: logger) }
        logger.info(
            "PostgreSQL outbox opened; keeping time by the database server's clock",
            metadata: ["config.db": .string(location.description), "outbox.clock.offset_ms": "\(clock.offsetMillis)"])
        return .success(PostgresOpening(store: store, clock: clock, background: [pool, refresher]))
    }
}

/// An exit code as an error value.
struct ExitCodeFailure: Error {
    let code: Int32
}
