import Foundation
import GRDB

/// `Tests/Fixtures/poison-rows.sql`: rows a database from before schema 003 could hold (or that a
/// producer wrote with the validation triggers dropped). Store, worker and CLI tests all load it.
public enum PoisonRows {
    /// How many rows the fixture inserts (ids 1...count on a fresh database).
    public static let count = 8

    /// The fixture file.
    public static var fixture: URL { BuiltProducts.fixture("poison-rows.sql") }

    /// Drops the outbox insert triggers (as before schema 003) and runs the fixture on `db`.
    /// Returns the number of rows in `outbox` afterwards.
    @discardableResult
    public static func insert(_ db: Database) throws -> Int {
        let sql = try String(contentsOf: fixture, encoding: .utf8)
        let triggers = try String.fetchAll(
            db,
            sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outbox' AND name LIKE '%insert%'")
        for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger)") }
        try db.execute(sql: sql)
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0
    }
}
