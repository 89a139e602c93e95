import Foundation
import OutboxModel
import OutboxPostgres
import OutboxTestSupport
import PostgresNIO
import Testing

@testable import OutboxStore
@testable import OutboxWorker

/// The group commit writes for every task whose group it carries: a leading task cancelled
/// (shutdown's grace over) must not cancel their writes, or answers already in hand would go
/// unrecorded. Shown on PostgreSQL, whose driver stops work in a cancelled task; the SQLite store
/// writes on its own queue, which nothing cancels.
@Suite("Group commit under cancellation", .enabled(if: ScratchPostgres.available))
struct GroupCommitCancellationTests {
    @Test("an answer recorded by a cancelled task is still written")
    func cancelledLeaderStillWrites() async throws {
        let database = try await ScratchPostgres.make(prefix: "groupcommit")
        defer { database.close() }
        let store = PostgresStore(client: database.client, location: database.url, logger: ScratchPostgres.quiet)
        let t0: EpochMillis = 1_800_000_000_000
        let key = UUID().uuidString.lowercased()
        try await database.client.query(
            """
            INSERT INTO outbox (command_key, kind, payload, created_at)
            VALUES (\(key), 'async_sale', \(#"{"MerchantUniqueCode":"\#(key)","Amount":1.00,"CurrencyId":1,"TerminalTagCode":"T1"}"#), \(t0))
            """)
        let claimed = try await store.claimBatch(owner: "w", clock: FixedWallClock(t0), limit: 1, leaseMillis: 60_000) {
            _, _, _ in .claimOnly
        }
        let id = try #require(claimed.first?.command.id)
        let commit = GroupCommit(store: store, worker: "w")
        let update = CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))
        let (cancelled, cancelledSignal) = AsyncStream<Void>.makeStream()
        let recording = Task {
            // Wait until this task is cancelled, then record (as a command task does when its
            // answer arrives after shutdown's grace).
            while !Task.isCancelled { await Task.yield() }
            cancelledSignal.yield()
            do throws(OutboxStoreError) { return try await commit.record([update], now: t0 + 10) } catch { return false }
        }
        recording.cancel()
        for await _ in cancelled { break }
        #expect(await recording.value)
        #expect(try await store.command(id: id)?.state == .succeeded)
        #expect(try await database.number("SELECT count(*) FROM inbox WHERE event = 'outcome'") == 1)
    }
}
