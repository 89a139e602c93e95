import Foundation

/// How a database setting (`--db`, `OUTBOX_DB`) names a PostgreSQL database rather than a SQLite
/// file, and the rule that a password never rides in it. One reading for the worker's settings,
/// the `outbox` CLI and the PostgreSQL store.
public enum DatabaseURL {
    /// Whether `text` is a `postgres://` (or `postgresql://`) URL, not a file path.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Whether `text` is a PostgreSQL URL carrying a password (refused everywhere, exit 64).
    public static func carriesPassword(_ text: String) -> Bool {
        isPostgres(text) && URLComponents(string: text)?.password != nil
    }

    /// Why such a URL is refused, and where the password goes instead.
    public static let passwordRefusal =
        "the database URL carries a password; put it in PGPASSWORD or in a file named by OUTBOX_DB_PASSWORD_FILE"

    /// `text` with any password taken out, for messages (`postgres://…` when it does not parse).
    public static func withoutPassword(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return "postgres://…" }
        url.password = nil
        return url.string ?? "postgres://…"
    }
}
