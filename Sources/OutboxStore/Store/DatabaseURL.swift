import Foundation

/// How a database setting (`--db`, `OUTBOX_DB`) names a PostgreSQL database rather than a SQLite
/// file, and the rule that a password never rides in it. One reading for the worker's settings,
/// the `outbox` CLI and the PostgreSQL store.
public enum DatabaseURL {
    /// Whether `text` means PostgreSQL, not a file path: it starts `postgres:` or `postgresql:`
    /// in any case (so `POSTGRES://…` or a mistyped `postgres:/…` is read, and refused, as a URL:
    /// never taken for a file name and printed with a password in it).
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.prefix(11).lowercased()
        return lower.hasPrefix("postgres:") || lower.hasPrefix("postgresql:")
    }

    /// Whether `text` is a PostgreSQL URL carrying a password (refused everywhere, exit 64).
    public static func carriesPassword(_ text: String) -> Bool {
        isPostgres(text) && URLComponents(string: text)?.password != nil
    }

    /// Why such a URL is refused, and where the password goes instead.
    public static let passwordRefusal =
        "the database URL carries a password; put it in PGPASSWORD or in a file named by OUTBOX_DB_PASSWORD_FILE"

    /// A database setting as messages may show it: a file path as it is, any URL's password taken out.
    public static func forMessages(_ text: String) -> String {
        guard text.contains("@"), let url = URLComponents(string: text), url.password != nil else { return text }
        return withoutPassword(text)
    }

    /// `text` with any password taken out, for messages (`postgres://…` when it does not parse).
    public static func withoutPassword(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return "postgres://…" }
        url.password = nil
        return url.string ?? "postgres://…"
    }
}
