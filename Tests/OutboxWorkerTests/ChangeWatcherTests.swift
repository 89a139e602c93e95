#if canImport(Glibc)
import Foundation
import Glibc
import OutboxStore
import Synchronization
import Testing
import OutboxTestSupport

@testable import OutboxWorker

@Suite("ChangeWatcher: which file events wake the worker")
struct ChangeWatcherTests {
    static let folderWatch: Int32 = 1
    static let files = WatchedFiles(folder: "/data", names: ["outbox.sqlite", "outbox.sqlite-wal"], folderWatch: folderWatch)

    @Test(
        "each event's meaning",
        arguments: [
            ("a write to the WAL (its own watch)", 2, IN_MODIFY, "", WatchedFiles.Meaning.news),
            ("the WAL closed after writing", 2, IN_CLOSE_WRITE, "", .news),
            ("the WAL created", folderWatch, IN_CREATE, "outbox.sqlite-wal", .appeared),
            ("the database moved into place", folderWatch, IN_MOVED_TO, "outbox.sqlite", .appeared),
            ("another file created in the folder", folderWatch, IN_CREATE, "worker.log", .ignored),
            ("a file's watch removed (it was deleted)", 2, IN_IGNORED, "", .ignored),
            ("events lost: the queue overflowed", -1, IN_Q_OVERFLOW, "", .lost),
            ("the WAL written, seen by a folder watch widened after a file watch failed", folderWatch, IN_MODIFY,
             "outbox.sqlite-wal", .news),
        ] as [(String, Int32, Int32, String, WatchedFiles.Meaning)])
    func meaning(_ what: String, wd: Int32, mask: Int32, name: String, expected: WatchedFiles.Meaning) {
        #expect(Self.files.classify(wd: wd, mask: UInt32(mask), name: name) == expected, "\(what)")
    }

    /// A log written next to the database (the worker's own stderr, say) makes no event at all:
    /// the folder is watched only for files appearing. Its events would be read (and counted as
    /// ignored) before the WAL's, which come after them in the queue.
    @Test("writes to another file in the folder make no event; a WAL write wakes")
    func neighbourWritesWakeNothing() async throws {
        let folder = try WatchFolder()
        let log = folder.create("worker.log")
        let wal = folder.create("outbox.sqlite-wal")
        defer { close(log); close(wal) }
        let watch = try folder.start()
        for _ in 0..<50 { folder.append(log) }
        folder.append(wal)
        try await watch.waitForWakeUps(1)
        #expect(watch.watcher.counts.ignored.load(ordering: .relaxed) == 0)
    }

    /// SQLite deletes the WAL when the last connection closes and creates it again at the next
    /// write: a watch on the file alone would go deaf then.
    @Test("a WAL created after the watcher started, or deleted and created again, is watched")
    func walAppearingLaterIsWatched() async throws {
        let folder = try WatchFolder()
        close(folder.create("outbox.sqlite"))
        let watch = try folder.start()
        // Created (and kept open, so no close event follows): the folder announces it.
        var wal = folder.create("outbox.sqlite-wal")
        try await watch.waitForWakeUps(1)
        folder.append(wal)
        try await watch.waitForWakeUps(2)
        // Closed (a close after writing wakes), deleted, created again.
        close(wal)
        try await watch.waitForWakeUps(3)
        unlink(folder.path("outbox.sqlite-wal"))
        wal = folder.create("outbox.sqlite-wal")
        defer { close(wal) }
        try await watch.waitForWakeUps(4)
        folder.append(wal)
        try await watch.waitForWakeUps(5)
    }

    /// SQLite puts the WAL beside the file a symbolic link names, not beside the link.
    @Test("a database path that is a symbolic link: the WAL beside its target is watched")
    func symbolicLinkIsResolved() async throws {
        let target = try WatchFolder()
        let links = try WatchFolder()
        close(target.create("outbox.sqlite"))
        let wal = target.create("outbox.sqlite-wal")
        defer { close(wal) }
        #expect(symlink(target.path("outbox.sqlite"), links.path("shop.sqlite")) == 0)
        let watch = try links.start(databasePath: links.path("shop.sqlite"))
        target.append(wal)
        try await watch.waitForWakeUps(1)
    }
}

/// A folder of its own, removed at the end.
private final class WatchFolder {
    let url: URL

    init() throws {
        url = Scratch.url("watch")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Creates (or truncates) `name` and returns its open descriptor.
    func create(_ name: String) -> Int32 { open(path(name), O_CREAT | O_TRUNC | O_WRONLY, 0o644) }

    func append(_ descriptor: Int32) {
        var byte: UInt8 = 1
        _ = write(descriptor, &byte, 1)
    }

    /// A watcher on `databasePath` (default `outbox.sqlite` in this folder), counting its wake-ups.
    func start(databasePath: String? = nil) throws -> WatchRun {
        let database = databasePath ?? path("outbox.sqlite")
        let watcher = try #require(ChangeWatcher(databasePath: database))
        let run = WatchRun(watcher: watcher)
        watcher.start(filter: EveryBurstIsNews(path: database)) { run.wakeUps.add(1, ordering: .relaxed) }
        return run
    }
}

private final class WatchRun: Sendable {
    let watcher: ChangeWatcher
    let wakeUps = Atomic<Int>(0)

    init(watcher: ChangeWatcher) { self.watcher = watcher }

    deinit { watcher.stop() }

    /// Waits until the watcher has woken the worker `count` times; fails after 10 s.
    func waitForWakeUps(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while wakeUps.load(ordering: .relaxed) < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(wakeUps.load(ordering: .relaxed)) wake-ups, expected \(count)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// A filter for which every burst of the database's events is another process's commit.
private struct EveryBurstIsNews: LocalFileStorage {
    let path: String
    func fileProblem() -> String? { nil }
    /// The watcher never checkpoints.
    func checkpoint(_ mode: OutboxStore.CheckpointMode) async throws -> OutboxStore.CheckpointResult {
        throw CancellationError()
    }
    func storageSizes() -> (databaseBytes: Int64?, walBytes: Int64?) { (nil, nil) }
    func changeBurstBegins() -> Int { 0 }
    func changeBurstIsNews(ownWritesDoneBefore: Int) -> Bool { true }
}
#endif
