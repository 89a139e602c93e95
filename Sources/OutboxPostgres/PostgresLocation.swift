import Foundation
import Logging
import OutboxStore
import PostgresNIO

/// Where a PostgreSQL outbox is: a `postgres://user@host:port/database` URL (or `postgresql://`),
/// with the password from the environment, never from the URL or a flag.
///
/// - The URL names user, host, port (default 5432) and database; `?host=/run/postgresql` (a
///   folder) connects over that folder's Unix socket instead; `?sslmode=require` requires TLS,
///   `disable` (the default on loopback and sockets) never uses it, `prefer` tries it.
/// - The password: `PGPASSWORD` (libpq's own variable), or the first line of the file
///   `OUTBOX_DB_PASSWORD_FILE` names (a mounted secret). None: the server must not ask for one
///   (trust or peer authentication).
/// - A URL carrying a password is refused (``PostgresLocationError/passwordInURL``): a password
///   in a URL ends up in process lists, shell histories and logs.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    /// A host name or address, or a Unix socket folder.
    public var host: String
    public var port: Int
    public var database: String
    /// Whether `host` is a socket folder.
    public var isSocket: Bool
    /// `disable`, `prefer` or `require`.
    public var sslMode: String

    /// Whether `text` names a PostgreSQL database (and not a SQLite file path).
    public static func isURL(_ text: String) -> Bool { DatabaseURL.isPostgres(text) }

    /// Parses `text`. Throws ``PostgresLocationError``.
    public init(_ text: String) throws(PostgresLocationError) {
        guard Self.isURL(text), let url = URLComponents(string: text) else { throw .notAURL(text) }
        if url.password != nil { throw .passwordInURL }
        guard let user = url.user, !user.isEmpty else { throw .missing("a user (postgres://USER@host/database)") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .missing("a database name (postgres://user@host/DATABASE)") }
        var host = url.host ?? ""
        var isSocket = false
        var sslMode = "disable"
        for item in url.queryItems ?? [] {
            switch item.name {
            case "host":
                host = item.value ?? host
                isSocket = host.hasPrefix("/")
            case "sslmode":
                guard let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                    throw .unsupported("sslmode=\(item.value ?? "") (disable, prefer or require)")
                }
                sslMode = value
            default:
                throw .unsupported("the parameter \(item.name) (host and sslmode are known)")
            }
        }
        guard !host.isEmpty else { throw .missing("a host (postgres://user@HOST/database, or ?host=/socket/folder)") }
        self.user = user
        self.host = host
        self.port = url.port ?? 5432
        self.database = database
        self.isSocket = isSocket
        self.sslMode = sslMode
    }

    /// The URL without any secret, for logs.
    public var description: String {
        isSocket
            ? "postgres://\(user)@/\(database)?host=\(host)&port=\(port)"
            : "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// The password from `environment` (`PGPASSWORD`, or the file `OUTBOX_DB_PASSWORD_FILE`
    /// names), or nil. Throws ``PostgresLocationError/passwordFile(_:)`` when the file cannot be read.
    public static func password(from environment: [String: String]) throws(PostgresLocationError) -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        guard let path = environment["OUTBOX_DB_PASSWORD_FILE"], !path.isEmpty else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .passwordFile(path) }
        return text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }

    /// One connection's configuration for this location with `password` (TLS as `sslmode` says):
    /// what ``probe(password:logger:)`` connects with.
    public func connectionConfiguration(password: String?) throws -> PostgresConnection.Configuration {
        if isSocket {
            return PostgresConnection.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS =
            switch sslMode {
            case "require": .require(try .init(configuration: .makeClientConfiguration()))
            case "prefer": .prefer(try .init(configuration: .makeClientConfiguration()))
            default: .disable
            }
        return PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// Connects once and closes. Throws the server's own refusal at once, as
    /// ``OutboxStoreError`` (`postgres`, with the server's message and SQLSTATE: an unknown
    /// database or role, a wrong password, a refused connection), where a connection pool would
    /// keep trying.
    public func probe(password: String?, logger: Logger) async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(password: password), id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    /// The client configuration for this location with `password`.
    public func clientConfiguration(password: String?) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case "require": .require(.makeClientConfiguration())
            case "prefer": .prefer(.makeClientConfiguration())
            default: .disable
            }
        if isSocket {
            return PostgresClient.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}

/// Why a PostgreSQL location was refused (the `worker` and `outbox` binaries exit 64 on it).
public enum PostgresLocationError: Error, Sendable, Hashable, CustomStringConvertible {
    case notAURL(String)
    case passwordInURL
    case missing(String)
    case unsupported(String)
    case passwordFile(String)

    public var description: String {
        switch self {
        case .notAURL(let text): "not a postgres:// URL: \(text.contains("@") ? "(hidden)" : text)"
        case .passwordInURL: DatabaseURL.passwordRefusal
        case .missing(let what): "the database URL lacks \(what)"
        case .unsupported(let what): "the database URL has \(what), which is not supported"
        case .passwordFile(let path): "cannot read the password file \(path) (OUTBOX_DB_PASSWORD_FILE)"
        }
    }
}
