/// How the store opens its SQLite file.
public struct OutboxStoreConfiguration: Sendable, Hashable {
    /// SQLite's `synchronous` setting for this process's connections.
    public enum Synchronous: String, Sendable, Hashable {
        /// In WAL mode a commit survives a crash of the process; a power loss may lose the last
        /// few commits. No fsync per commit: thousands of commits per second.
        case normal = "NORMAL"
        /// Every commit is fsynced: survives power loss, costs one fsync per commit (on this
        /// disk ~4 ms at worst, so a few hundred commits per second).
        case full = "FULL"
    }

    /// Path of the database file.
    public var path: String
    /// How long a statement waits for another process's write lock before failing, in seconds.
    public var busyTimeoutSeconds: Double
    /// Durability of commits made by this process.
    public var synchronous: Synchronous
    /// Open for reading only (operator reads never take the write lock).
    public var readOnly: Bool
    /// Create the file if missing (writers); read-only openers never create.
    public var createIfMissing: Bool
    /// Apply pending migrations on open; when false an old schema is an error.
    public var migrate: Bool

    /// Creates a configuration with the defaults a worker uses.
    public init(
        path: String, busyTimeoutSeconds: Double = 10, synchronous: Synchronous = .normal, readOnly: Bool = false,
        createIfMissing: Bool = true, migrate: Bool = true
    ) {
        self.path = path
        self.busyTimeoutSeconds = busyTimeoutSeconds
        self.synchronous = synchronous
        self.readOnly = readOnly
        self.createIfMissing = createIfMissing
        self.migrate = migrate
    }
}
