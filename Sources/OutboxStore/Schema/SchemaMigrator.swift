import GRDB

/// Applies the embedded Schema/ migrations.
///
/// GRDB's `DatabaseMigrator` is not used on purpose: it decides what to apply outside the
/// write lock, so two worker processes starting together could both run migration 1. Here the
/// version check and every migration run inside one `BEGIN IMMEDIATE` transaction, and the
/// version lives in `PRAGMA user_version`, which producers in any language can read.
enum SchemaMigrator {
    /// The newest schema version this binary knows.
    static var latestVersion: Int { embeddedMigrations.last?.version ?? 0 }

    /// The schema version of an open database.
    static func currentVersion(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
    }

    /// Refuses a database newer than this binary.
    static func checkNotNewer(_ version: Int) throws {
        if version > latestVersion {
            throw OutboxStoreError(
                .schemaTooNew,
                "the database has schema version \(version) but this binary knows versions up to \(latestVersion); "
                    + "upgrade paywall-outbox before using this file")
        }
    }

    /// Brings the database to the latest version. Returns the versions applied.
    @discardableResult
    static func migrate(_ writer: some DatabaseWriter) throws -> [Int] {
        try writer.writeWithoutTransaction { db in
            var applied: [Int] = []
            try db.inTransaction(.immediate) {
                let found = try currentVersion(db)
                try checkNotNewer(found)
                for migration in embeddedMigrations where migration.version > found {
                    try db.execute(sql: migration.sql)
                    let now = try currentVersion(db)
                    guard now == migration.version else {
                        throw OutboxStoreError(
                            .sqlite, "\(migration.file) left user_version at \(now), expected \(migration.version)")
                    }
                    applied.append(migration.version)
                }
                return .commit
            }
            return applied
        }
    }
}
