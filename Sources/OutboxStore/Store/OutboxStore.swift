import Foundation
import GRDB
import OutboxModel

/// The outbox database: a WAL-mode SQLite file shared by producers, workers and operators.
///
/// Every write is one short `BEGIN IMMEDIATE` transaction; no transaction is ever held across a
/// network call. All times are passed in (`EpochMillis`), so rules stay testable.
public final class OutboxStore: Sendable {
    /// The GRDB pool (one writer connection, several readers).
    let pool: DatabasePool
    /// The configuration it was opened with.
    public let configuration: OutboxStoreConfiguration
    /// The file the path named when the store opened it (see ``fileProblem()``).
    let openedFile: DatabaseFileIdentity?

    /// Opens (and by default creates and migrates) the database at `configuration.path`.
    public init(_ configuration: OutboxStoreConfiguration) throws {
        self.configuration = configuration
        let exists = FileManager.default.fileExists(atPath: configuration.path)
        if !exists && (configuration.readOnly || !configuration.createIfMissing) {
            throw OutboxStoreError(.notFound, "no outbox database at \(configuration.path)")
        }
        let config = ProductConnection.configuration(
            label: "outbox", busyTimeoutSeconds: configuration.busyTimeoutSeconds, readOnly: configuration.readOnly)
        do {
            pool = try DatabasePool(path: configuration.path, configuration: config)
            if !configuration.readOnly {
                // After the pool's own WAL setup, which sets NORMAL on the (single) writer.
                try pool.writeWithoutTransaction {
                    try $0.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)")
                }
            }
            let version = try pool.read(SchemaMigrator.currentVersion)
            try SchemaMigrator.checkNotNewer(version)
            if version < SchemaMigrator.latestVersion {
                guard configuration.migrate, !configuration.readOnly else {
                    throw OutboxStoreError(
                        .schemaTooOld,
                        "the database has schema version \(version); this binary needs \(SchemaMigrator.latestVersion) "
                            + "(run `outbox migrate`)")
                }
                try SchemaMigrator.migrate(pool)
            }
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
        openedFile = DatabaseFileIdentity.of(path: configuration.path)
    }

    /// The schema version of the file.
    public func schemaVersion() throws -> Int {
        try read(SchemaMigrator.currentVersion)
    }

    /// The newest schema version this binary knows.
    public static var latestSchemaVersion: Int { SchemaMigrator.latestVersion }

    /// Runs a read in a short read transaction, mapping errors.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw OutboxStoreError(wrapping: error) }
    }

    /// Runs a write in one `BEGIN IMMEDIATE` transaction, mapping errors.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw OutboxStoreError(wrapping: error) }
    }

    /// Moves the WAL's content into the database file so the WAL stops growing. Returns the
    /// WAL size in pages and how many were checkpointed. `truncate` also shrinks the WAL file,
    /// waiting for readers (bounded by the busy timeout).
    @discardableResult
    public func checkpoint(truncate: Bool = false) throws -> (walPages: Int, checkpointed: Int) {
        do {
            return try pool.writeWithoutTransaction { db in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(\(truncate ? "TRUNCATE" : "PASSIVE"))")
                return (row?[1] ?? 0, row?[2] ?? 0)
            }
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
    }
}

extension OutboxStoreError {
    /// Maps any error from GRDB or SQLite to a store error with a clear message.
    init(wrapping error: any Error) {
        if let error = error as? OutboxStoreError {
            self = error
            return
        }
        guard let dbError = error as? DatabaseError else {
            self.init(.sqlite, String(describing: error))
            return
        }
        let message = dbError.message ?? "\(dbError.resultCode)"
        switch dbError.resultCode {
        case .SQLITE_CONSTRAINT:
            self.init(.rejected, message)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self.init(.busy, "the database stayed locked past the busy timeout: \(message)")
        case .SQLITE_NOTADB, .SQLITE_CANTOPEN:
            self.init(.notFound, "not an outbox database: \(message)")
        default:
            self.init(.sqlite, message)
        }
    }
}
