import Foundation
import OutboxModel
import OutboxPostgres
import OutboxTestSupport
import PostgresNIO
import Testing

@testable import OutboxStore

/// What only the PostgreSQL store has to prove: ids committed out of order, and where it is.
@Suite("PostgreSQL store", .enabled(if: ScratchPostgres.available))
struct PostgresStoreTests {
    @Test("an inbox row committed late is never skipped: the next inbox writer waits for its commit")
    func inboxCommittedLate() async throws {
        let handle = try await PostgresTestDatabase.make()
        defer { handle.close() }
        let store = handle.store
        let client = handle.client
        let t0: EpochMillis = 1_800_000_000_000
        let command = try await ContractSubject.insert(client, Sample.sale(), at: t0)
        _ = try await store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        // Another inbox writer (as the store writes): it takes the inbox lock, inserts, and has
        // not committed yet. Its row has the lower id.
        let (ready, readySignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let late = Task {
            try await client.withTransaction(logger: ScratchPostgres.quiet) { connection in
                // `logger:` picks the awaited query (without it, the old future-returning one: not waited for).
                try await connection.query("SELECT pg_advisory_xact_lock(1869963897, 1)", logger: ScratchPostgres.quiet)
                try await connection.query(
                    """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at)
                    SELECT id, command_key, kind, generation, 'outcome', 'succeeded', \(t0) FROM outbox WHERE id = \(command)
                    """, logger: ScratchPostgres.quiet)
                readySignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in ready { break }
        // The store records another outcome meanwhile: it must wait, not commit a higher id first.
        let second = try await ContractSubject.insert(client, Sample.sale(), at: t0)
        _ = try await store.claimBatch(owner: "w2", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        let recording = Task {
            try await store.record(
                [CommandUpdate(commandID: second, precondition: .leasedBy("w2"), next: .finish(InboxOutcome(.succeeded)))],
                worker: "w2", now: t0 + 1)
        }
        // Proof that it waits: a backend waits on an advisory lock (bounded: only a store that
        // does not wait reaches the bound, and then the test fails).
        let limit = ContinuousClock.now + .seconds(60)
        while true {
            let waiting = try await handle.database.number(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND datname = current_database()")
            if waiting > 0 { break }
            guard ContinuousClock.now < limit else {
                Issue.record("the store's record did not wait for the inbox lock")
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        // A merchant reading by cursor now sees nothing: not the second outcome before the first.
        #expect(try await handle.store.inbox(after: 0, limit: 1_000).isEmpty)
        releaseSignal.yield()
        try await late.value
        #expect(try await recording.value)
        let rows = try await handle.store.inbox(after: 0, limit: 1_000)
        #expect(rows.map(\.outboxID) == [command, second])
        #expect(rows.map(\.id) == rows.map(\.id).sorted())
    }

    @Test("a purge never deletes a command an operator's retry took back meanwhile: its DELETE checks the row as committed")
    func purgeSparesARetry() async throws {
        let handle = try await PostgresTestDatabase.make()
        defer { handle.close() }
        let store = handle.store
        let client = handle.client
        let t0: EpochMillis = 1_800_000_000_000
        var finished: [Int64] = []
        for _ in 0..<3 {
            let id = try await ContractSubject.insert(client, Sample.sale(), at: t0)
            _ = try await store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
            #expect(
                try await store.record(
                    [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.dead)))],
                    worker: "w", now: t0 + 1))
            finished.append(id)
        }
        let ids = finished
        // A retry of ids[1] in another transaction, not committed yet (what `outbox retry` writes).
        let (ready, readySignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let retry = Task {
            try await client.withTransaction(logger: ScratchPostgres.quiet) { connection in
                try await connection.query(
                    """
                    UPDATE outbox SET state = 'pending', generation = generation + 1, finished_at = NULL, due_at = \(t0 + 10)
                     WHERE id = \(ids[1])
                    """, logger: ScratchPostgres.quiet)
                readySignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in ready { break }
        let purging = Task {
            try await store.purge(
                finishedBefore: t0 + 5_000, includeInbox: false, dryRun: false, actor: "op", now: t0 + 20_000,
                batchSize: 500, onBatch: nil)
        }
        // The purge waits for the retried row's lock (bounded: a purge that does not wait finishes).
        let limit = ContinuousClock.now + .seconds(60)
        while try await handle.database.number(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") == 0
        {
            guard ContinuousClock.now < limit else {
                Issue.record("the purge did not wait for the retried row")
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        releaseSignal.yield()
        try await retry.value
        let purged = try await purging.value
        #expect(purged.commands == 2)
        #expect(try await store.command(id: ids[0]) == nil)
        #expect(try await store.command(id: ids[1])?.state == .pending)
        #expect(try await store.command(id: ids[2]) == nil)
    }

    @Test(
        "a database URL: parsed, its password refused, shown without secrets",
        arguments: [
            ("postgres://outbox@db.example:5433/shop", "postgres://outbox@db.example:5433/shop", nil),
            ("postgresql://outbox@localhost/shop?host=/run/postgresql", "postgres://outbox@/shop?host=/run/postgresql&port=5432", nil),
            ("postgres://outbox:s3cret@db/shop", nil, PostgresLocationError.passwordInURL),
            ("postgres://db/shop", nil, PostgresLocationError.missing("a user (postgres://USER@host/database)")),
            ("postgres://outbox@db/", nil, PostgresLocationError.missing("a database name (postgres://user@host/DATABASE)")),
            ("postgres://outbox@db/shop?sslmode=verify-full", nil, PostgresLocationError.unsupported("sslmode=verify-full (disable, prefer or require)")),
        ] as [(String, String?, PostgresLocationError?)])
    func location(_ url: String, _ shown: String?, _ refusal: PostgresLocationError?) {
        do {
            let location = try PostgresLocation(url)
            #expect(location.description == shown)
            #expect(refusal == nil)
        } catch {
            #expect(error == refusal)
            #expect(!error.description.contains("s3cret"))
        }
    }

    @Test("the password comes from PGPASSWORD or the first line of OUTBOX_DB_PASSWORD_FILE, never from the URL")
    func password() throws {
        #expect(try PostgresLocation.password(from: ["PGPASSWORD": "a"]) == "a")
        #expect(try PostgresLocation.password(from: [:]) == nil)
        let file = Scratch.url("pw")
        try "from-file\nignored\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try PostgresLocation.password(from: ["OUTBOX_DB_PASSWORD_FILE": file.path]) == "from-file")
        #expect(throws: PostgresLocationError.passwordFile("/nonexistent")) {
            try PostgresLocation.password(from: ["OUTBOX_DB_PASSWORD_FILE": "/nonexistent"])
        }
    }
}
