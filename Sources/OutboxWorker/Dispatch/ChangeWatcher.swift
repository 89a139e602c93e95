#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OutboxStore
import Synchronization

/// Wakes the worker when another process writes the database, without polling: Linux inotify
/// on the database's folder, filtered to the database file and its `-wal`. Every committed
/// INSERT by a producer in any language appends to the WAL, so the worker hears of it at once.
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
    private let names: Set<String>
    private let stopped = Mutex(false)

    /// Watches the folder of `databasePath`; nil when inotify is unavailable (the worker then
    /// relies on its idle poll).
    init?(databasePath: String) {
        let url = URL(fileURLWithPath: databasePath)
        let folder = url.deletingLastPathComponent().path
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
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
        guard inotify_add_watch(inotify, folder, mask) >= 0 else {
            close(inotify)
            close(ends[0])
            close(ends[1])
            return nil
        }
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
        let names = self.names
        let worker = Thread {
            Self.watch(descriptors, names: names, filter: filter, onChange: onChange)
        }
        worker.name = "outbox-change-watcher"
        worker.start()
    }

    /// The thread's loop, until the stop pipe is written or `poll` fails.
    private static func watch(
        _ descriptors: Descriptors, names: Set<String>, filter: any LocalFileStorage,
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
                        let (length, name) = buffer.withUnsafeBytes { raw -> (Int, String) in
                            let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                            let nameStart = offset + MemoryLayout<inotify_event>.size
                            let nameBytes = raw[nameStart..<min(nameStart + Int(event.len), count)].prefix { $0 != 0 }
                            return (Int(event.len), String(decoding: nameBytes, as: UTF8.self))
                        }
                        if names.contains(name) { relevant = true }
                        offset += MemoryLayout<inotify_event>.size + length
                    }
                }
                if relevant && filter.changeBurstIsNews(ownWritesDoneBefore: mark) { onChange() }
            }
        }
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
