import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

@Suite("Store: claim, planning read and mark in one transaction")
struct ClaimBatchTests {
    @Test("a burst of file events after only the store's own writes is not news; another connection's commit is, with or without a read")
    func burstIsNews() async throws {
        // The change watcher wakes the dispatcher only when this says true: the worker's own
        // commits write the WAL too. Here each "burst" is the watcher's two calls around reading
        // events, made after the writes they follow.
        let database = try TestDatabase()
        let store = SQLiteWorkerStore(try database.open())
        func burst() -> Bool { store.changeBurstIsNews(ownWritesDoneBefore: store.changeBurstBegins()) }
        func foreignInsert() async throws {
            let key = Sample.guid()
            try await DatabaseQueue(path: database.path).write { db in
                try db.execute(
                    sql: "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?)",
                    arguments: [key, Sample.salePayload(key: key)])
            }
        }
        // A worker's own write (here a Retry-After hold).
        var holds = 0
        func ownWrite() throws {
            holds += 1
            try store.store.setHold(credentials: "private", until: Int64(holds), reason: "test", by: "w", now: 0)
        }
        // Own writes, never looked: news (nothing to compare with).
        try ownWrite()
        #expect(burst())
        // Only an own write since: not news (the version is read and has not moved).
        try ownWrite()
        #expect(burst() == false)
        // Another connection's commit after an own write: news (the version moved).
        try ownWrite()
        try await foreignInsert()
        #expect(burst())
        // No own write since the last burst: another process's, news without a read.
        try await foreignInsert()
        #expect(burst())
        // A claim looks too: the commits it saw are not news after its own commit.
        let claimed = try await store.claimBatch(owner: "w", clock: SystemWallClock(), limit: 10, leaseMillis: 30_000) {
            _, _, _ in .claimOnly
        }
        #expect(claimed.count == 2)
        #expect(burst() == false)
        // A commit of another connection while this store also writes: news.
        try await foreignInsert()
        try ownWrite()
        #expect(burst())
        // A producer's INSERT made through this store (the demo): news for the next burst, as
        // another process's would be, though the version does not move for it.
        _ = try store.store.enqueue(Sample.sale())
        #expect(burst())
        try ownWrite()
        #expect(burst() == false)
    }

    @Test("the version is read under the write lock: a commit under way when the burst is read is news, at once")
    func burstWaitsForACommitUnderWay() throws {
        // A producer's commit wakes the watcher with its first write to the WAL, before SQLite
        // publishes it: a read without the lock could find nothing new and wake nobody.
        let database = try TestDatabase()
        let store = SQLiteWorkerStore(try database.open())
        try store.store.setHold(credentials: "private", until: 1, reason: "test", by: "w", now: 0)
        #expect(store.changeBurstIsNews(ownWritesDoneBefore: store.changeBurstBegins()))
        // An own write since, so the next burst needs the read.
        try store.store.setHold(credentials: "private", until: 2, reason: "test", by: "w", now: 0)
        // Another connection holds the write lock, its INSERT not yet committed.
        let producer = try DatabaseQueue(path: database.path)
        let holding = DispatchSemaphore(value: 0)
        let ended = DispatchSemaphore(value: 0)
        let failure = Mutex2<String?>(nil)
        Thread.detachNewThread {
            do {
                try producer.write { db in
                    let key = Sample.guid()
                    try db.execute(
                        sql: "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?)",
                        arguments: [key, Sample.salePayload(key: key)])
                    holding.signal()
                    // The burst's read finds this lock taken and says news at once (if it runs
                    // late, after the commit, it reads the commit: news too). Without the lock it
                    // would read before the commit and say nothing new.
                    Thread.sleep(forTimeInterval: 0.05)
                }
            } catch {
                failure.mutate { $0 = "\(error)" }
                holding.signal()
            }
            ended.signal()
        }
        holding.wait()
        #expect(store.changeBurstIsNews(ownWritesDoneBefore: store.changeBurstBegins()))
        ended.wait()
        #expect(failure.value == nil)
    }

    /// Only a checkpoint writes the database file in WAL mode: its bytes tell whether one ran.
    /// A producer that does not checkpoint fills the WAL past SQLite's automatic threshold
    /// (1,000 pages); the claim's COMMIT, on the way from that INSERT to its request, must leave
    /// the checkpoint to the next write off that path.
    @Test("a claim's COMMIT never runs SQLite's automatic checkpoint; the next recorded answer does")
    func claimLeavesCheckpointToOthers() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let producer = try DatabaseQueue(path: database.path)
        try producer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            for _ in 0..<600 {
                let key = Sample.guid()
                try db.execute(
                    sql: "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?)",
                    arguments: [key, Sample.salePayload(key: key)])
            }
        }
        let file = URL(fileURLWithPath: database.path)
        let before = try Data(contentsOf: file)
        let claimed = try store.claimBatch(owner: "w", clock: SystemWallClock(), limit: 1, leaseMillis: 60_000) {
            _, _, _ in .claimOnly
        }
        #expect(claimed.count == 1)
        #expect(try Data(contentsOf: file) == before, "the claim's COMMIT checkpointed")
        try store.record(
            [CommandUpdate(commandID: claimed[0].command.id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
            worker: "w", now: SystemWallClock().now())
        #expect(try Data(contentsOf: file) != before, "the automatic checkpoint stayed off after the claim")
    }

    @Test("a claim that fails after reading the commit version leaves another connection's commit news")
    func failedClaimLeavesNews() throws {
        // The claim's first read sees a producer's commit; its write transaction then fails (here
        // the write lock stays taken past the busy timeout). The watcher's read for that commit,
        // which waited behind the claim, must still find it new, or the command waits for a tick.
        let database = try TestDatabase()
        let store = SQLiteWorkerStore(try database.open { $0.busyTimeoutSeconds = 0.05 })
        func claim() throws -> Int {
            try store.store.claimBatch(owner: "w", clock: SystemWallClock(), limit: 10, leaseMillis: 30_000) {
                _, _, _ in .claimOnly
            }.count
        }
        try store.store.setHold(credentials: "private", until: 1, reason: "test", by: "w", now: 0)
        #expect(store.changeBurstIsNews(ownWritesDoneBefore: store.changeBurstBegins()))
        // A claim with nothing due takes that news: the next claim reads the version first.
        #expect(try claim() == 0)
        let producer = try DatabaseQueue(path: database.path)
        let key = Sample.guid()
        try producer.write { db in
            try db.execute(
                sql: "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?)",
                arguments: [key, Sample.salePayload(key: key)])
        }
        // Another connection holds the write lock while the claim runs.
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let ended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            // One access: GRDB refuses a transaction left open between two.
            try? producer.writeWithoutTransaction { db in
                let begun = Result { try db.execute(sql: "BEGIN IMMEDIATE") }
                holding.signal()
                release.wait()
                if case .success = begun { try db.execute(sql: "ROLLBACK") }
            }
            ended.signal()
        }
        holding.wait()
        #expect(throws: OutboxStoreError.self) { try claim() }
        release.signal()
        ended.wait()
        // The claim began an own write, so the burst needs the read: the commit is still news.
        #expect(store.changeBurstIsNews(ownWritesDoneBefore: store.changeBurstBegins()))
        #expect(try claim() == 1)
    }

    @Test("claimBatch hands each command its planning context and marks as leaving only what decide says, before the deadline")
    func marksWhatDecideSays() throws {
        let store = try TestDatabase().open()
        let saleKey = Sample.guid()
        let sale = try store.enqueue(Sample.sale(saleKey)).id
        let cancel = try store.enqueue(Sample.cancel(saleKey: saleKey)).id
        let late = try store.enqueue(Sample.sale()).id
        var seen: [Int64: PlanningContext] = [:]
        let claimed = try store.claimBatch(owner: "w", clock: FixedWallClock(5_000), limit: 10, leaseMillis: 30_000) {
            command, context, now in
            #expect(now == 5_000)
            seen[command.id] = context
            switch command.id {
            case sale: return .markSending(deadline: 5_000)
            case late: return .markSending(deadline: 4_999)
            default: return .claimOnly
            }
        }
        #expect(claimed.map(\.command.id) == [sale, cancel, late])
        #expect(claimed.map(\.markedAt) == [5_000, nil, nil])
        // The sale sees its cancel; the cancel sees its sale: the context the full path reads.
        #expect(seen[sale]?.related.map(\.id) == [cancel])
        #expect(seen[cancel]?.sale?.id == sale)
        #expect(claimed.map(\.context) == [seen[sale], seen[cancel], seen[late]])
        // Marked: possibly sent from now on (a crash leaves it for reconciliation), one open send.
        let marked = try #require(try store.command(id: sale))
        #expect(marked.state == .inFlight && marked.needsReconcile && marked.leaseOwner == "w")
        #expect(try store.sendHistory(commandID: sale).sends == 1)
        // Past its deadline, or not asked: claimed only, nothing marked.
        for id in [cancel, late] {
            let command = try #require(try store.command(id: id))
            #expect(command.state == .inFlight && !command.needsReconcile)
            #expect(try store.sendHistory(commandID: id).sends == 0)
        }
        // Nothing due: no claim, decide never called.
        let none = try store.claimBatch(owner: "w", clock: FixedWallClock(5_000), limit: 10, leaseMillis: 1) { _, _, _ in
            Issue.record("decide called with nothing due")
            return .claimOnly
        }
        #expect(none.isEmpty)
    }

    @Test("two claimers never get the same command from claimBatch")
    func claimOnce() throws {
        let store = try TestDatabase().open()
        let ids = try (0..<40).map { _ in try store.enqueue(Sample.sale()).id }
        let other = try OutboxStore(OutboxStoreConfiguration(path: store.configuration.path))
        let results = Mutex2<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let mine = index % 2 == 0 ? store : other
            while true {
                let got = (try? mine.claimBatch(
                    owner: "w\(index)", clock: FixedWallClock(1_000), limit: 3, leaseMillis: 30_000
                ) { _, _, _ in .markSending(deadline: nil) }) ?? []
                if got.isEmpty { break }
                results.mutate { $0 += got.map(\.command.id) }
            }
        }
        #expect(results.value.sorted() == ids)
        for id in ids { #expect(try store.sendHistory(commandID: id).sends == 1) }
    }

    @Test("recordEach with a time per group writes each group at its own time, in one transaction")
    func recordEachAtOwnTimes() throws {
        let store = try TestDatabase().open()
        let ids = try (0..<3).map { _ in try store.enqueue(Sample.sale()).id }
        _ = try store.claim(owner: "w", now: 1_000, limit: 3, leaseMillis: 30_000)
        let groups = ids.enumerated().map { index, id in
            (updates: [CommandUpdate(commandID: id, precondition: .leasedBy(index == 1 ? "other" : "w"),
                                     next: .finish(InboxOutcome(.succeeded)))],
             now: EpochMillis(2_000 + index))
        }
        #expect(try store.recordEach(groups, worker: "w") == [true, false, true])
        #expect(try store.command(id: ids[0])?.finishedAt == 2_000)
        #expect(try store.command(id: ids[1])?.state == .inFlight)
        #expect(try store.command(id: ids[2])?.finishedAt == 2_002)
    }
}

/// A lock-guarded value for tests that collect from several threads.
final class Mutex2<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
