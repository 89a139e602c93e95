import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts child processes so that none inherits another's pipes.
///
/// Tests run in parallel and several start children at once. Foundation's `Pipe` descriptors are
/// not close-on-exec, so a child started on one thread could inherit the write end of a pipe
/// another thread had just made for its own child; that reader then never saw end-of-file until
/// the unrelated child exited. (Seen: a producer's output was never read to its end because two
/// claimer processes held its pipe, and the claimers waited for that producer: CI's 131 s exit 3,
/// here a 15-minute hang.) Every test start goes through ``start(_:)``: under one lock it marks
/// every descriptor of this process close-on-exec, then starts the child, whose own pipe ends are
/// duplicated onto its 0, 1 and 2 (which exec keeps).
public enum ChildProcess {
    private static let lock = NSLock()

    /// `process.run()`, with no descriptor of this process leaking into the child.
    public static func start(_ process: Process) throws {
        try lock.withLock {
            markAllCloseOnExec()
            try process.run()
        }
    }

    /// Runs `start` (a `posix_spawn`) under the same lock, every descriptor of this process
    /// marked close-on-exec first.
    public static func spawn<T>(_ start: () throws -> T) rethrows -> T {
        try lock.withLock {
            markAllCloseOnExec()
            return try start()
        }
    }

    private static func markAllCloseOnExec() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for name in names {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
