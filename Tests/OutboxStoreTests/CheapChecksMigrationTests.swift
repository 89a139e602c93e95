import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

/// Schema 008 rewrites CHECK constraints and the WHERE of `outbox_troubled` from `IN (…)` lists
/// to ORs, in place (see the file). These tests take a database with history from version 7 to 8.
@Suite("Store: schema 8, the same constraints without IN lists")
struct CheapChecksMigrationTests {
    /// A connection to the file as the product opens it (`outbox_product_connection()` set).
    static func productQueue(_ path: String) throws -> DatabaseQueue {
        try DatabaseQueue(path: path, configuration: ProductConnection.configuration(label: "test", busyTimeoutSeconds: 10))
    }

    /// A version-7 database at `path` holding a pending sale and three finished commands (one of
    /// each troubled state), written as the product writes them.
    static func version7(at path: String) throws {
        let queue = try productQueue(path)
        try queue.writeWithoutTransaction { db in
            for migration in embeddedMigrations where migration.version <= 7 {
                try db.inTransaction(.immediate) {
                    try db.execute(sql: migration.sql)
                    return .commit
                }
            }
            #expect(try SchemaMigrator.currentVersion(db) == 7)
            for (index, state) in ["pending", "failed", "expired", "dead", "succeeded"].enumerated() {
                let key = Sample.guid()
                try db.execute(
                    sql: "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES (?, 'async_sale', ?, ?)",
                    arguments: [key, Sample.salePayload(key: key), 1_800_000_000_000 + index])
                if state != "pending" {
                    try db.execute(
                        sql: "UPDATE outbox SET state = ?, finished_at = ? WHERE command_key = ?",
                        arguments: [state, 1_800_000_100_000 + index, key])
                }
            }
        }
    }

    /// How many temporary b-trees `sql` builds each time it runs (EXPLAIN's OpenEphemeral).
    static func ephemeralTables(_ db: Database, _ sql: String) throws -> Int {
        try Row.fetchAll(db, sql: "EXPLAIN " + sql).filter { ($0["opcode"] as String) == "OpenEphemeral" }.count
    }

    static let writes = [
        "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('k', 'async_sale', '{}', 1)",
        "UPDATE outbox SET state = 'failed', finished_at = 2 WHERE id = 1",
        "INSERT INTO inbox (outbox_id, generation, command_key, kind, event, outcome, source, created_at) "
            + "VALUES (1, 1, 'k', 'async_sale', 'outcome', 'failed', 'inquiry', 1)",
        "INSERT INTO attempt (outbox_id, generation, worker, started_at, outcome, request) "
            + "VALUES (1, 1, 'w', 1, 'unknown', 'lookup')",
    ]

    @Test("version 7 builds a temporary b-tree for each IN list on every write; version 8, on the connection that migrated, none")
    func noEphemeralTables() throws {
        let database = try TestDatabase()
        try Self.version7(at: database.path)
        let before = try Self.productQueue(database.path)
        let counts7 = try before.read { db in try Self.writes.map { try Self.ephemeralTables(db, $0) } }
        #expect(counts7.allSatisfy { $0 > 0 }, "\(counts7)")
        try before.close()

        let store = try database.open()
        #expect(try store.schemaVersion() == 8)
        // The writer is the connection that ran the migration: it must not keep the old text.
        let counts8 = try store.pool.write { db in try Self.writes.map { try Self.ephemeralTables(db, $0) } }
        #expect(counts8 == [0, 0, 0, 0])
        // Another connection, opened before the migration, reads the new schema at its next read
        // (EXPLAIN alone reads nothing, so it would still show the schema it had loaded).
        let other = try store.pool.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox")
            return try Self.writes.map { try Self.ephemeralTables(db, $0) }
        }
        #expect(other == [0, 0, 0, 0])
    }

    @Test("an operator's view or trigger left naming a dropped table does not stop the upgrade")
    func staleOperatorObjects() throws {
        let database = try TestDatabase()
        try Self.version7(at: database.path)
        let queue = try Self.productQueue(database.path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE operator_scratch (x);
                    CREATE VIEW operator_view AS SELECT x FROM operator_scratch;
                    CREATE TRIGGER operator_trigger AFTER INSERT ON outbox BEGIN INSERT INTO operator_scratch VALUES (1); END;
                    DROP TABLE operator_scratch;
                    """)
        }
        try queue.close()
        let store = try database.open()
        #expect(try store.schemaVersion() == 8)
        let kept = try store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE name LIKE 'operator_%' ORDER BY name")
        }
        #expect(kept == ["operator_trigger", "operator_view"])
    }

    @Test("after version 8 the stored rows are intact, the index holds the same rows, and a bad state is still refused")
    func sameConstraints() throws {
        let database = try TestDatabase()
        try Self.version7(at: database.path)
        let store = try database.open()
        try store.pool.write { db in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            let indexed = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM outbox INDEXED BY outbox_troubled WHERE \(OutboxStore.troubledCondition)")
            let scanned = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM outbox NOT INDEXED WHERE state IN ('failed', 'expired', 'dead')")
            #expect(indexed == 3 && scanned == 3)
            // Each statement with a value its CHECK allows, then with one it refuses.
            let cases: [(sql: String, good: String, bad: String)] = [
                ("UPDATE outbox SET state = ? WHERE id = 1", "dead", "finished"),
                ("UPDATE command_kind SET role = ? WHERE name = 'async_sale'", "sale", "purchase"),
                (
                    "INSERT INTO inbox (outbox_id, generation, command_key, kind, event, outcome, created_at) "
                        + "VALUES (1, 1, 'k', 'async_sale', 'outcome', ?, 1)", "expired", "paid"
                ),
                (
                    "INSERT INTO inbox (outbox_id, generation, command_key, kind, event, outcome, source, created_at) "
                        + "VALUES (1, 1, 'k', 'async_sale', 'payment_status', NULL, ?, 1)", "horizon", "sms"
                ),
                (
                    "INSERT INTO attempt (outbox_id, generation, worker, started_at, outcome, request) "
                        + "VALUES (1, 1, 'w', 1, 'unknown', ?)", "inquiry", "probe"
                ),
                (
                    "INSERT OR REPLACE INTO worker_status (worker, started_at, heartbeat_at, state) VALUES ('w', 1, 1, ?)",
                    "stopped", "sleeping"
                ),
                (
                    "INSERT INTO payment_follow (outbox_id, generation, payment_request_id, activity_type, state, "
                        + "started_at, horizon_at, next_poll_at, interval_ms) VALUES (1, 1, 'p', 1, ?, 1, 1, 1, 1)",
                    "unresolved", "open"
                ),
            ]
            for (sql, good, bad) in cases {
                try db.execute(sql: sql, arguments: [good])
                #expect(db.changesCount == 1, "\(sql) with \(good)")
                let error = #expect(throws: DatabaseError.self) { try db.execute(sql: sql, arguments: [bad]) }
                #expect(error?.message?.contains("CHECK constraint failed") == true, "\(sql): \(String(describing: error))")
            }
            // No IN list of more than two constants is left in any table's definition.
            #expect(
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%outcome IN (%'") == 0)
        }
    }
}
