#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OutboxStore
import Synchronization

/// Wakes the worker when another process writes the database, without polling: Linux inotify
/// on the database file and its `-wal`. Every committed INSERT by a producer in any language
/// appends to the WAL, so the worker hears of it at once.
///
/// The files are watched one by one for writes (`IN_MODIFY`, `IN_CLOSE_WRITE`); the folder only
/// for files appearing in it (`IN_CREATE`, `IN_MOVED_TO`), so that a `-wal` created later (or
/// deleted by the last connection to close and created again), or a database file moved into
/// place, gets its own watch. If a file's watch cannot be added (the per-user limit on watches),
/// the folder's watch takes writes too, as it did before the files had watches of their own.
/// Writes to other files in the folder (the merchant's own files, a log the worker's stderr goes
/// to) wake nothing: watching the folder for writes woke this thread for each of them (two per
/// command when the log was next to the database). A queue overflow (`IN_Q_OVERFLOW`: events
/// were lost) counts as news, and both files are watched again.
///
/// A dedicated thread blocks in `poll(2)` on the inotify descriptor and a pipe used to stop
/// it; no task is left behind. After `stop()` the thread ends at its next wake-up; if it is inside
/// a database read then, it finishes it and may call `onChange` once more (the dispatcher's
/// mailbox drops events once it has finished). The descriptors are closed only when both
/// the watcher and its thread are done with them (``Descriptors``): the thread may still be in a
/// database read when the worker stops, and a descriptor closed under it could be reused by
/// another watcher, whose events it would then take.
final class ChangeWatcher: Sendable {
    /// The inotify descriptor and both ends of the stop pipe, closed when the last holder lets go.
    private final class Descriptors: Sendable {
        let inotify: Int32
        let stopper: Int32
        let stopperWrite: Int32

        init(inotify: Int32, stopper: Int32, stopperWrite: Int32) {
            self.inotify = inotify
            self.stopper = stopper
            self.stopperWrite = stopperWrite
        }

        deinit {
            close(inotify)
            close(stopper)
            close(stopperWrite)
        }
    }

    private let descriptors: Descriptors
    private let folder: String
    private let names: Set<String>
    private let folderWatch: Int32
    private let stopped = Mutex(false)
    /// Counts of what the thread read (a class, so the thread holds it without holding the watcher).
    let counts = WatchCounts()

    #if canImport(Glibc)
    /// What a database file's own watch listens for: its contents written.
    private static let fileMask = UInt32(IN_MODIFY | IN_CLOSE_WRITE)
    /// What the folder's watch listens for: a file appearing (created, or moved into place).
    private static let folderMask = UInt32(IN_CREATE | IN_MOVED_TO)
    #endif

    /// Watches the database at `databasePath` and its `-wal` (a symbolic link resolved first,
    /// as SQLite puts the WAL beside the file the link names); nil when inotify is unavailable
    /// (the worker then relies on its idle poll).
    init?(databasePath: String) {
        let url = URL(fileURLWithPath: Self.resolved(databasePath))
        folder = url.deletingLastPathComponent().path
        let base = url.lastPathComponent
        names = [base, base + "-wal"]
        #if canImport(Glibc)
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { return nil }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(inotify)
            return nil
        }
        folderWatch = inotify_add_watch(inotify, folder, Self.folderMask)
        guard folderWatch >= 0 else {
            close(inotify)
            close(ends[0])
            close(ends[1])
            return nil
        }
        // After the folder's watch: a file created from now on is either watched here or
        // announced by the folder (then watched by the thread). One missing now is not an error.
        Self.watchFiles(inotify, folder: folder, names: names)
        descriptors = Descriptors(inotify: inotify, stopper: ends[0], stopperWrite: ends[1])
        #else
        return nil
        #endif
    }

    /// Starts the watching thread; `onChange` is called (from that thread) for every burst of
    /// changes to the database files that `filter` says is news. Before reading a burst the
    /// thread takes `filter.changeBurstBegins()`, and after it asks
    /// `filter.changeBurstIsNews(ownWritesDoneBefore:)` (which may block it on the database), so
    /// the worker's own commits wake only this thread, never the dispatcher (``CommitWatch``).
    func start(filter: any LocalFileStorage, onChange: @escaping @Sendable () -> Void) {
        let descriptors = self.descriptors
        let files = WatchedFiles(folder: folder, names: names, folderWatch: folderWatch)
        let counts = self.counts
        let worker = Thread {
            Self.watch(descriptors, files: files, counts: counts, filter: filter, onChange: onChange)
        }
        worker.name = "outbox-change-watcher"
        worker.start()
    }

    /// The thread's loop, until the stop pipe is written or `poll` fails.
    private static func watch(
        _ descriptors: Descriptors, files: WatchedFiles, counts: WatchCounts, filter: any LocalFileStorage,
        onChange: @Sendable () -> Void
    ) {
        // The descriptors stay open until this loop is done with them.
        withExtendedLifetime(descriptors) {
            let inotify = descriptors.inotify
            var buffer = [UInt8](repeating: 0, count: 8192)
            var fds = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                pollfd(fd: descriptors.stopper, events: Int16(POLLIN), revents: 0),
            ]
            while true {
                fds[0].revents = 0
                fds[1].revents = 0
                let ready = poll(&fds, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                if ready < 0 || fds[1].revents != 0 { return }
                let mark = filter.changeBurstBegins()
                var relevant = false
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    var offset = 0
                    while offset + MemoryLayout<inotify_event>.size <= count {
                        let (event, name) = buffer.withUnsafeBytes { raw -> (inotify_event, String) in
                            let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                            let nameStart = offset + MemoryLayout<inotify_event>.size
                            let nameBytes = raw[nameStart..<min(nameStart + Int(event.len), count)].prefix { $0 != 0 }
                            return (event, String(decoding: nameBytes, as: UTF8.self))
                        }
                        switch files.classify(wd: event.wd, mask: event.mask, name: name) {
                        case .news: relevant = true
                        case .appeared:
                            relevant = true
                            watchFiles(inotify, folder: files.folder, names: [name])
                        case .lost:
                            relevant = true
                            watchFiles(inotify, folder: files.folder, names: files.names)
                        case .ignored: counts.ignored.add(1, ordering: .relaxed)
                        }
                        offset += MemoryLayout<inotify_event>.size + Int(event.len)
                    }
                }
                if relevant && filter.changeBurstIsNews(ownWritesDoneBefore: mark) { onChange() }
            }
        }
    }

    /// Adds (or renews: same inode, same watch) the write watch on each of `names` in `folder`.
    /// A file that does not exist (yet) is left to the folder's watch. Any other failure (the
    /// per-user watch limit, `ENOSPC`) widens the folder's own watch to writes too, as it was
    /// before files had watches of their own: slower (every write in the folder wakes the thread),
    /// never deaf.
    private static func watchFiles(_ inotify: Int32, folder: String, names: Set<String>) {
        #if canImport(Glibc)
        for name in names where inotify_add_watch(inotify, folder + "/" + name, fileMask) < 0 && errno != ENOENT {
            _ = inotify_add_watch(inotify, folder, folderMask | fileMask)
        }
        #endif
    }

    /// `path` with symbolic links resolved, or as given when it cannot be (no such file yet).
    private static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// Stops the thread (once; later calls do nothing). It exits at its next poll wake-up, or
    /// when the database read it is in ends; the descriptors close once it and the watcher are gone.
    func stop() {
        guard stopped.withLock({ stopped in defer { stopped = true }; return !stopped }) else { return }
        var one: UInt8 = 1
        _ = write(descriptors.stopperWrite, &one, 1)
    }

    deinit {
        stop()
    }
}

/// What a ``ChangeWatcher``'s thread has read.
final class WatchCounts: Sendable {
    /// Events about neither the database nor its WAL (another file created in the folder, a
    /// watch removed). Writes to other files in the folder make none.
    let ignored = Atomic<Int>(0)
}

/// Which inotify events say the database may have changed: the rule of ``ChangeWatcher``'s
/// thread, apart from the system calls.
struct WatchedFiles: Sendable {
    /// What one event means.
    enum Meaning: Equatable {
        /// A write to the database file or its WAL: wake the worker.
        case news
        /// The database file or its WAL appeared in the folder: watch it, and wake the worker.
        case appeared
        /// Events were lost (the queue overflowed), perhaps a file's appearance: watch both
        /// files again (a watch already on a file is kept), and wake the worker.
        case lost
        /// Another file appeared in the folder, or a watch was removed (its file deleted).
        case ignored
    }

    let folder: String
    let names: Set<String>
    /// The folder's watch descriptor: its events name the file; a file's own events do not.
    let folderWatch: Int32

    func classify(wd: Int32, mask: UInt32, name: String) -> Meaning {
        #if canImport(Glibc)
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return .lost }
        if mask & UInt32(IN_IGNORED) != 0 { return .ignored }
        if wd == folderWatch {
            guard names.contains(name) else { return .ignored }
            // A write seen by the folder: its watch was widened because a file's could not be added.
            return mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 ? .appeared : .news
        }
        #endif
        return .news
    }
}
