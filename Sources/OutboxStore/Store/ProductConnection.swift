import GRDB
import GRDBSQLite

/// Marks a connection as the product's own (the worker's or the `outbox` CLI's).
///
/// Schema 003's triggers refuse a write to the worker's columns, the inbox, attempts, audit and
/// worker status unless the connection has the SQL function `outbox_product_connection()`. Only
/// the product registers it, on every connection it opens (migrations included), so a producer
/// in another language gets "no such function: outbox_product_connection" instead of silently
/// losing a command or forging an outcome. This is a guard against mistakes, not a security
/// boundary: anything that can write the file can register the function too.
///
/// The function is registered with `SQLITE_INNOCUOUS` (GRDB's `DatabaseFunction` cannot set it),
/// which SQLite requires of functions called from triggers when `PRAGMA trusted_schema = OFF`.
enum ProductConnection {
    /// The SQL function's name, as the triggers call it.
    static let functionName = "outbox_product_connection"

    /// Registers the function on `db`. Throws the SQLite error when registration fails.
    static func register(_ db: Database) throws {
        let code = sqlite3_create_function_v2(
            db.sqliteConnection, functionName, 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nil,
            { context, _, _ in sqlite3_result_int(context, 1) }, nil, nil, nil)
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not register \(functionName)")
        }
    }

    /// A busy timeout in seconds as whole milliseconds (at least 1 for any positive timeout).
    static func busyTimeoutMillis(_ seconds: Double) -> Int {
        guard seconds > 0, seconds.isFinite else { return seconds > 0 ? Int(Int32.max) : 0 }
        return max(1, Int(min(seconds * 1_000, Double(Int32.max)).rounded()))
    }

    /// A GRDB configuration for the product's connections (writer and readers): the function
    /// registered on each, the product's busy wait (``BusyWait``, `busyTimeoutSeconds`), and
    /// `PRAGMA trusted_schema = ON`. The schema is the product's own, and schema 001's generated
    /// `terminal` column calls json_extract(), which SQLite 3.40 does not mark innocuous: on a
    /// SQLite built with trusted_schema off by default, every statement on `outbox` would fail
    /// with "unsafe use of json_extract()". (Producers on such a build must set it too: README.)
    static func configuration(label: String, busyTimeoutSeconds: Double, readOnly: Bool = false) -> Configuration {
        var config = Configuration()
        // Our own busy handler (BusyWait), installed below: GRDB installs none.
        config.busyMode = .immediateError
        config.readonly = readOnly
        config.label = label
        let timeoutMillis = busyTimeoutMillis(busyTimeoutSeconds)
        config.prepareDatabase { db in
            BusyWait.install(db.sqliteConnection, timeoutMillis: timeoutMillis)
            try db.execute(sql: "PRAGMA trusted_schema = ON")
            try register(db)
        }
        return config
    }
}
