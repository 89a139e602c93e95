#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OutboxStore

/// Wakes the worker when another process writes the database, without polling: Linux inotify
/// on the database's folder, filtered to the database file and its `-wal`. Every committed
/// INSERT by a producer in any language appends to the WAL, so the worker hears of it at once.
///
/// A dedicated thread blocks in `poll(2)` on the inotify descriptor and a pipe used to stop
/// it; no task is left behind when `stop()` returns.
final class ChangeWatcher: Sendable {
    private let inotify: Int32
    private let stopper: Int32
    private let stopperWrite: Int32
    private let names: Set<String>

    /// Watches the folder of `databasePath`; nil when inotify is unavailable (the worker then
    /// relies on its idle poll).
    init?(databasePath: String) {
        let url = URL(fileURLWithPath: databasePath)
        let folder = url.deletingLastPathComponent().path
        let base = url.lastPathComponent
        names = [base, base + "-wal"]
        #if canImport(Glibc)
        inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { return nil }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(inotify)
            return nil
        }
        stopper = ends[0]
        stopperWrite = ends[1]
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
        guard inotify_add_watch(inotify, folder, mask) >= 0 else {
            close(inotify)
            close(stopper)
            close(stopperWrite)
            return nil
        }
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
        let inotify = self.inotify
        let stopper = self.stopper
        let names = self.names
        let worker = Thread {
            var buffer = [UInt8](repeating: 0, count: 8192)
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stopper, events: Int16(POLLIN), revents: 0)]
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
        worker.name = "outbox-change-watcher"
        worker.start()
    }

    /// Stops the thread and closes the descriptors.
    func stop() {
        var one: UInt8 = 1
        _ = write(stopperWrite, &one, 1)
        // The thread exits at its next poll wake-up; the descriptors close with the watcher.
    }

    deinit {
        close(inotify)
        close(stopper)
        close(stopperWrite)
    }
}
