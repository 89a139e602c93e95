#if canImport(Glibc)
import Glibc
#endif

/// Which file a path names: device and inode. A database file replaced under a running process
/// (a restore, a mistaken `mv`) keeps its path but not its inode; the process would go on with
/// the old, unlinked file while producers write the new one.
public struct DatabaseFileIdentity: Sendable, Hashable {
    /// `st_dev`.
    public var device: UInt64
    /// `st_ino`.
    public var inode: UInt64

    /// The identity of the file at `path` now; nil when there is none.
    public static func of(path: String) -> DatabaseFileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return DatabaseFileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

extension OutboxStore {
    /// nil while `configuration.path` still names the file this store opened; otherwise what
    /// happened to it ("deleted", "replaced by another file"), for a worker to stop on.
    public func fileProblem() -> String? {
        guard let opened = openedFile else { return nil }
        guard let now = DatabaseFileIdentity.of(path: configuration.path) else {
            return "the database file \(configuration.path) was deleted or moved away"
        }
        return now == opened ? nil : "the database file \(configuration.path) was replaced by another file"
    }
}
