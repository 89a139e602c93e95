import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

/// ``BusyWait``: how the product's connections wait for a lock another connection holds.
@Suite("Store: waiting for a lock", .serialized)
struct BusyWaitTests {
    @Test(
        "the sleeps: fine first, then every 25 ms, the last cut to the timeout",
        arguments: [
            (0, 10_000, 50), (1, 10_000, 100), (5, 10_000, 1_000), (11, 10_000, 25_000), (40, 10_000, 25_000),
            // 1 ms: 50 + 100 + 200 + 400 slept, 250 µs left, then nothing.
            (3, 1, 400), (4, 1, 250), (5, 1, nil),
            (0, 0, nil),
        ] as [(Int, Int, Int64?)])
    func schedule(tries: Int, timeoutMillis: Int, sleep: Int64?) {
        #expect(BusyWait.sleepMicros(tries: tries, timeoutMillis: timeoutMillis) == sleep)
    }

    @Test("the sleeps of a whole timeout add up to it", arguments: [1, 7, 50, 10_000])
    func addsUp(timeoutMillis: Int) {
        var slept: Int64 = 0
        var tries = 0
        while let micros = BusyWait.sleepMicros(tries: tries, timeoutMillis: timeoutMillis) {
            slept += micros
            tries += 1
        }
        #expect(slept == Int64(timeoutMillis) * 1_000)
    }

    /// Another connection takes the write lock on its own thread and keeps it for
    /// `holdMillis`, or until `release` is signalled (at most 5 s) when nil.
    final class LockHolder: @unchecked Sendable {
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        /// When the lock was taken.
        private(set) var heldSince = ContinuousClock.now
        private var failure: (any Error)?

        init(path: String, holdMillis: Int? = nil) throws {
            let queue = try DatabaseQueue(path: path)
            let taken = DispatchSemaphore(value: 0)
            let thread = Thread { [self] in
                defer { done.signal() }
                do {
                    try queue.writeWithoutTransaction { db in
                        try db.execute(sql: "BEGIN IMMEDIATE")
                        heldSince = ContinuousClock.now
                        taken.signal()
                        if let holdMillis {
                            Thread.sleep(forTimeInterval: Double(holdMillis) / 1_000)
                        } else {
                            _ = release.wait(timeout: .now() + 5)
                        }
                        try db.execute(sql: "COMMIT")
                    }
                } catch {
                    failure = error
                    taken.signal()
                }
            }
            thread.start()
            taken.wait()
            if let failure { throw failure }
        }
    }

    func holdWrite(_ store: OutboxStore) throws {
        try store.setHold(credentials: "private", until: 1, reason: "test", by: "w", now: 0)
    }

    /// A write while another connection holds the lock for 200 ms: it ends after the lock was
    /// let go, so it waited.
    func expectWaits(_ store: OutboxStore, path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let holder = try LockHolder(path: path, holdMillis: 200)
        try holdWrite(store)
        #expect(ContinuousClock.now - holder.heldSince >= .milliseconds(200), sourceLocation: sourceLocation)
        holder.done.wait()
    }

    @Test("a write waits for a lock held for less than the busy timeout, through the product's own handler")
    func waits() throws {
        let database = try TestDatabase()
        let store = try database.open { $0.busyTimeoutSeconds = 30 }
        try expectWaits(store, path: database.path)
        // SQLite's own handler (sqlite3_busy_timeout) would show here as the timeout in ms.
        #expect(try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA busy_timeout") } == 0)
    }

    @Test("a write gives up with 'busy' once the busy timeout has passed, not before")
    func givesUp() throws {
        let database = try TestDatabase()
        let store = try database.open { $0.busyTimeoutSeconds = 0.05 }
        let holder = try LockHolder(path: database.path)
        defer {
            holder.release.signal()
            holder.done.wait()
        }
        let started = ContinuousClock.now
        do {
            try holdWrite(store)
            Issue.record("wrote while another connection held the lock")
        } catch {
            #expect((error as? OutboxStoreError)?.code == .busy)
        }
        // It slept the timeout's 50 ms before giving up (no handler would fail at once).
        #expect(ContinuousClock.now - started >= .milliseconds(45))
    }

    /// The locked read and the truncating checkpoint change the writer connection's busy wait for
    /// themselves only: every later write must wait for the lock as configured.
    @Test("the watcher's locked read and a truncating checkpoint each give the configured busy wait back")
    func restored() async throws {
        let database = try TestDatabase()
        let store = SQLiteWorkerStore(try database.open { $0.busyTimeoutSeconds = 30 })
        _ = store.store.lockedReadSaysNews()
        try expectWaits(store.store, path: database.path)
        _ = try await store.checkpoint(.truncate)
        try expectWaits(store.store, path: database.path)
    }
}
