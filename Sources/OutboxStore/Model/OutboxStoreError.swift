/// An error from the outbox store, with a stable code and a message for people.
public struct OutboxStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable error codes.
    public enum Code: String, Sendable, Hashable {
        /// The database refused a row (a schema rule); the message names the problem.
        case rejected
        /// The database file's schema is newer than this binary understands.
        case schemaTooNew
        /// The database needs a migration this process was not allowed to run.
        case schemaTooOld
        /// The file is missing (and creating it was not allowed) or not an outbox database.
        case notFound
        /// The database stayed locked longer than the busy timeout.
        case busy
        /// A row holds a value the schema does not allow.
        case corruptRow
        /// Any other SQLite failure.
        case sqlite
        /// Any other PostgreSQL failure (the server unreachable, a query refused for a reason that
        /// is not a schema rule).
        case postgres
    }

    /// The stable code.
    public var code: Code
    /// What happened, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
