import Foundation
import GRDB
import GRDBSQLite
import OutboxModel
import Synchronization

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
    /// This store's writes and the highest commit version it saw (``CommitWatch``).
    let commitWatch = Mutex(CommitWatch())

    /// Opens (and by default creates and migrates) the database at `configuration.path`.
    public init(_ configuration: OutboxStoreConfiguration) throws {
        self.configuration = configuration
        let exists = FileManager.default.fileExists(atPath: configuration.path)
        if !exists && (configuration.readOnly || !configuration.createIfMissing) {
            throw OutboxStoreError(.notFound, "no outbox database at \(DatabaseURL.forMessages(configuration.path))")
        }
        let config = ProductConnection.configuration(
            label: "outbox", busyTimeoutSeconds: configuration.busyTimeoutSeconds, readOnly: configuration.readOnly)
        do {
            pool = try DatabasePool(path: configuration.path, configuration: config)
            if !configuration.readOnly {
                // After the pool's own WAL setup, which sets NORMAL on the (single) writer.
                try pool.writeWithoutTransaction {
                    try $0.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)")
                    // When this connection restarts the WAL after a complete checkpoint, it cuts
                    // the file back to this size: a WAL that grew while a reader held an old
                    // snapshot does not stay large for the process's life.
                    try $0.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimitBytes)")
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

    /// The file's path, for messages.
    public var location: String { configuration.path }

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

    /// Runs reads that need no transaction around them (each statement is its own snapshot), on a
    /// reader connection, mapping errors: ``read(_:)`` without GRDB's `BEGIN`/`COMMIT` pair, which
    /// cost more than the one-row questions of the worker's idle tick.
    func readWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.unsafeRead(body) } catch { throw OutboxStoreError(wrapping: error) }
    }

    /// Runs `body` on `db` (the writer connection) waiting at most `millis` for a lock, then gives
    /// the configured busy timeout back, whatever `body` did (``BusyWait``; not `PRAGMA
    /// busy_timeout`: two statements per call, and the watcher's locked read calls this about three
    /// times per trickled command).
    func withBusyTimeout<T>(_ millis: Int, _ db: Database, _ body: () throws -> T) rethrows -> T {
        BusyWait.install(db.sqliteConnection, timeoutMillis: millis)
        defer {
            BusyWait.install(
                db.sqliteConnection,
                timeoutMillis: ProductConnection.busyTimeoutMillis(configuration.busyTimeoutSeconds))
        }
        return try body()
    }

    /// SQLite's default automatic checkpoint threshold in WAL pages (`SQLITE_DEFAULT_WAL_AUTOCHECKPOINT`),
    /// which the product's connections keep.
    static let autoCheckpointPages: Int32 = 1_000

    /// Runs `body` on `db` (the writer connection) with SQLite's automatic checkpoint off, then
    /// puts it back (``autoCheckpointPages``), whatever `body` did: for the writes whose COMMIT
    /// comes before a request leaves (a claim, a mark). Otherwise the COMMIT that takes the WAL
    /// past 1,000 pages also copies them into the database file and syncs both before it returns:
    /// strace of a trickle showed 7 ms of it inside a claim's COMMIT, between a producer's INSERT
    /// and its request. The next write that is not on that path (recording an answer, the
    /// housekeeping checkpoint, a producer's own commit) checkpoints instead.
    func withoutAutoCheckpoint<T>(_ db: Database, _ body: () throws -> T) rethrows -> T {
        sqlite3_wal_autocheckpoint(db.sqliteConnection, 0)
        defer { sqlite3_wal_autocheckpoint(db.sqliteConnection, Self.autoCheckpointPages) }
        return try body()
    }

    /// Runs a write in one `BEGIN IMMEDIATE` transaction (``immediateTransaction(_:_:)``),
    /// mapping errors.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try asOwnWrite {
            do {
                return try pool.writeWithoutTransaction { db in try Self.immediateTransaction(db) { try body(db) } }
            } catch {
                throw OutboxStoreError(wrapping: error)
            }
        }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` … `COMMIT` transaction on `db`, rolled back if `body`
    /// or the COMMIT throws (the error is rethrown). The same transaction as GRDB's
    /// `inTransaction(.immediate)`, through statements prepared once per connection: GRDB
    /// prepares its BEGIN and COMMIT anew for every transaction, and a trickle's census put
    /// 42 µs of each pickup's claim in preparing its BEGIN. `db` must not be inside a
    /// transaction.
    ///
    /// A body must not catch a database error and go on writing: SQLite may have rolled the
    /// whole transaction back on that error (a full disk, an I/O error), and GRDB's own guard
    /// against statements running after it (set by `inTransaction`) is not set here. Should a
    /// body do so anyway, the transaction found closed before the COMMIT throws, so the caller
    /// never takes a partial write for a whole one.
    static func immediateTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
        do {
            let result = try body()
            guard db.isInsideTransaction else {
                throw DatabaseError(
                    resultCode: .SQLITE_ABORT, message: "the transaction was rolled back before its COMMIT")
            }
            try db.cachedStatement(sql: "COMMIT").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            throw error
        }
    }

    /// What ``checkpoint(_:)`` did: the WAL's length in frames (pages) before, and how many of
    /// them are now in the database file. `complete` when every frame was (no reader pins an
    /// older snapshot); -1 values when the checkpoint could not run (SQLITE_BUSY).
    public struct CheckpointResult: Sendable, Hashable {
        public var walPages: Int
        public var checkpointed: Int
        /// Whether a reader or writer prevented it (it then did what it could).
        public var busy: Bool
        public var complete: Bool { !busy && walPages >= 0 && checkpointed == walPages }
    }

    /// The WAL size limit this store's connection truncates to when it restarts the WAL
    /// (`PRAGMA journal_size_limit`, set at open): 16 MiB.
    public static let walSizeLimitBytes: Int64 = 16 * 1_048_576

    /// Moves the WAL's content into the database file so the WAL stops growing.
    ///
    /// `passive` never waits: it copies what no reader still needs. `truncate` copies everything,
    /// then cuts the `-wal` file to zero bytes; it waits for readers at most `truncateWaitMillis`
    /// (it holds writers off while it waits, so the wait is kept short), then gives up with
    /// `busy` set. Throws ``OutboxStoreError`` for anything but busy.
    @discardableResult
    public func checkpoint(_ mode: CheckpointMode = .passive, truncateWaitMillis: Int = 200) throws
        -> CheckpointResult
    {
        // A checkpoint commits nothing, but it writes the database file, which wakes the watcher.
        try asOwnWrite {
            do {
                return try pool.writeWithoutTransaction { db in
                    func run() throws -> CheckpointResult {
                        let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(\(mode.rawValue))")
                        let busy: Int = row?[0] ?? 0
                        return CheckpointResult(walPages: row?[1] ?? 0, checkpointed: row?[2] ?? 0, busy: busy != 0)
                    }
                    return mode == .truncate ? try withBusyTimeout(truncateWaitMillis, db, run) : try run()
                }
            } catch {
                throw OutboxStoreError(wrapping: error)
            }
        }
    }

    /// SQLite's checkpoint modes used here.
    public enum CheckpointMode: String, Sendable {
        case passive = "PASSIVE"
        case truncate = "TRUNCATE"
    }

    /// The sizes of the database file and of its `-wal` file, in bytes (0 for a missing WAL),
    /// read from the file system; nil values when they cannot be read.
    public func storageSizes() -> (databaseBytes: Int64?, walBytes: Int64?) {
        func size(_ path: String) -> Int64? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return Int64(info.st_size)
        }
        let wal = size(configuration.path + "-wal") ?? (FileManager.default.fileExists(atPath: configuration.path) ? 0 : nil)
        return (size(configuration.path), wal)
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
