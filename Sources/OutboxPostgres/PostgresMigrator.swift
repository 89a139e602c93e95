import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// Applies `Schema/postgres/` (embedded in the binary) to a database: the files not yet in
/// `schema_version`, in order, each in one transaction, under an advisory lock so two workers
/// starting together apply each file once.
enum PostgresMigrator {
    /// The newest schema version this binary carries.
    static var latestVersion: Int { embeddedPostgresMigrations.map(\.version).max() ?? 0 }

    /// The advisory lock migrations hold (transaction-scoped), (classid, objid).
    static let lock: (Int32, Int32) = (1869963898, 1)

    /// The version the database is at (0: no outbox schema yet).
    static func currentVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        // Two statements: one naming a table that does not exist does not even parse.
        let exists = try await connection.query("SELECT to_regclass('schema_version') IS NOT NULL", logger: logger)
        for try await found in exists.decode(Bool.self) where !found { return 0 }
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0)::bigint FROM schema_version", logger: logger)
        for try await version in rows.decode(Int64.self) { return Int(version) }
        return 0
    }

    /// Brings the database to ``latestVersion``, or throws ``OutboxStoreError`` (`schemaTooNew`
    /// when it is newer than this binary; `schemaTooOld` when it is older and `migrate` is false).
    /// With `audit` (an operator's `outbox migrate`), the transaction of the last file applied
    /// also writes a `migrate` audit row. `dryRun` only reports what would be applied.
    @discardableResult
    static func migrate(
        _ client: PostgresClient, migrate: Bool, audit: (actor: String, now: EpochMillis)? = nil, dryRun: Bool = false,
        logger: Logger
    ) async throws -> MigrationResult {
        try await client.withConnection { connection in
            let version = try await currentVersion(connection, logger: logger)
            if version > latestVersion {
                throw OutboxStoreError(
                    .schemaTooNew,
                    "the database has PostgreSQL schema version \(version); this binary knows up to \(latestVersion)")
            }
            let pending = embeddedPostgresMigrations.filter { $0.version > version }
            var result = MigrationResult(from: version, to: version, applied: [], dryRun: dryRun)
            if dryRun {
                result.applied = pending.map(\.version)
                result.to = pending.last?.version ?? version
                return result
            }
            guard !pending.isEmpty else { return result }
            guard migrate else {
                throw OutboxStoreError(
                    .schemaTooOld,
                    "the database has PostgreSQL schema version \(version); this binary needs \(latestVersion) "
                        + "(run `outbox migrate`)")
            }
            for migration in pending {
                let applied = try await connection.withTransaction(logger: logger) { connection -> Bool in
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(lock.0), \(lock.1))", logger: logger)
                    // Read again under the lock: another process may have applied it meanwhile.
                    guard try await currentVersion(connection, logger: logger) < migration.version else { return false }
                    // One statement at a time: the driver speaks only the extended protocol.
                    for statement in PostgresScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    if let audit, migration.version == pending.last?.version {
                        var done = result
                        done.applied.append(migration.version)
                        done.to = migration.version
                        try await PostgresStore.insertAudit(
                            connection, at: audit.now, actor: audit.actor, action: "migrate", outboxID: nil,
                            detail: RepairRules.migrateAudit(done), logger: logger)
                    }
                    logger.notice(
                        "PostgreSQL schema migrated", metadata: ["outbox.schema.file": "\(migration.file)"])
                    return true
                }
                if applied { result.applied.append(migration.version) }
            }
            result.to = try await currentVersion(connection, logger: logger)
            return result
        }
    }
}
