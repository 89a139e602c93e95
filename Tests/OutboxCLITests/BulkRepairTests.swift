import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport
import Testing

@testable import OutboxCLI

/// `outbox retry` and `outbox discard` by filter, end to end on the built binary.
@Suite("CLI: bulk retry and discard on the built binary", .serialized)
struct BulkRepairTests {
    let database: TestDatabase
    let store: OutboxStore
    let now = SystemWallClock().now()

    init() throws {
        database = try TestDatabase()
        store = try database.open()
    }

    var db: String { database.path }

    static func pairRequest(terminal: String = "STORE1-TILL9") -> NewCommand {
        NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"\#(terminal)"}"#)
    }

    /// Queues `command`, then records attempts with these outcomes (each rescheduled), then
    /// finishes it with `outcome` (unless nil: it stays pending).
    @discardableResult
    func make(
        _ command: NewCommand, attempts: [String] = [], needsReconcile: Bool = false, finish outcome: InboxOutcome? = nil
    ) throws -> Int64 {
        let id = try store.enqueue(command).id
        let steps = attempts.isEmpty && outcome != nil ? [nil] : attempts.map { Optional($0) }
        for (index, attempt) in steps.enumerated() {
            let claimed = try store.claim(owner: "w", now: now + 1_000_000, limit: 100, leaseMillis: 30_000)
            precondition(claimed.contains { $0.id == id })
            try store.release(ids: claimed.filter { $0.id != id }.map(\.id), owner: "w", now: now)
            let last = index == steps.count - 1
            try store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("w"),
                    attempt: attempt.map {
                        AttemptRecord(
                            startedAt: now - 10_000, durationMillis: 100, httpStatus: $0 == "transient" ? 503 : nil,
                            outcome: $0, error: $0 == "transient" ? "HTTP 503" : "timed out")
                    },
                    countsAsAttempt: attempt != nil,
                    next: last && outcome != nil
                        ? .finish(outcome!)
                        : .reschedule(
                            dueAt: now + 3_600_000, needsReconcile: last && needsReconcile,
                            lastError: attempt == "transient" ? "HTTP 503 Service Unavailable" : "timed out after 30s"))],
                worker: "w", now: now)
        }
        return id
    }

    @Test("retry by filter: dry run counts; sales need an explicit --deadline; each retry audited")
    func retry() async throws {
        let deadSale = try Sample.deadSale(store, now: now).id  // attempts_exhausted, last send unknown
        let expiredPair = try make(Self.pairRequest(), finish: InboxOutcome(.expired, reason: .deadlinePassed, message: "too late"))
        let deadPair = try make(
            Self.pairRequest(), attempts: ["transient"],
            finish: InboxOutcome(.dead, reason: .attemptsExhausted, message: "HTTP 503"))
        let pending = try store.enqueue(Sample.sale()).id

        // Dry run: the count and the list, a note that sales need --deadline; nothing changes.
        let dry = try await outboxAsync(["retry", "--state", "dead,expired", "--dry-run"], db: db)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would retry 3 command(s): async_pair_request 2, async_sale 1"), "\(dry.stdout)")
        #expect(dry.stderr.contains("--deadline"))
        let dryJSON = try decode(ActionJSON.self, try await outboxAsync(["retry", "--state", "dead,expired", "--dry-run", "--json"], db: db).stdout)
        #expect(dryJSON.done == false && dryJSON.bulk?.matched == 3)
        #expect(Set(dryJSON.bulk?.ids ?? []) == [deadSale, expiredPair, deadPair])
        #expect(try store.command(id: deadSale)?.state == .dead && store.auditEntries().isEmpty)

        // A sale among the matches and no --deadline: refused (exit 3), nothing changed.
        let noDeadline = try await outboxAsync(["retry", "--reason", "attempts_exhausted", "--yes"], db: db)
        #expect(noDeadline.status == 3 && noDeadline.stderr.contains("explicit --deadline"), "\(noDeadline.stderr)")
        #expect(try store.command(id: deadSale)?.state == .dead && store.command(id: deadPair)?.state == .dead)
        // No terminal and no --yes: declined.
        #expect(try await outboxAsync(["retry", "--kind", "async_pair_request"], db: db).status == 10)

        // Only pairing kinds: the default deadline (15 minutes) applies.
        let pairs = try await outboxAsync(["retry", "--kind", "async_pair_request", "--yes", "--json", "--note", "till back"], db: db)
        #expect(pairs.status == 0, "\(pairs.stderr)")
        let pairsJSON = try decode(ActionJSON.self, pairs.stdout)
        #expect(Set(pairsJSON.bulk?.ids ?? []) == [expiredPair, deadPair] && pairsJSON.done)
        for id in [expiredPair, deadPair] {
            let command = try #require(try store.command(id: id))
            #expect(command.state == .pending && command.generation == 2)
            #expect(abs((command.deadline ?? 0) - (now + 900_000)) < 60_000)
        }
        #expect(try store.auditEntries().filter { $0.action == "retry" }.count == 2)

        // The sale, with an explicit deadline: reconciles first (its last send was unknown).
        let sale = try await outboxAsync(["retry", "--reason", "attempts_exhausted", "--kind", "async_sale", "--deadline", "5m", "--yes"], db: db)
        #expect(sale.status == 0 && sale.stdout.contains("retried 1 command(s)"), "\(sale.stdout) \(sale.stderr)")
        let retried = try #require(try store.command(id: deadSale))
        #expect(retried.state == .pending && retried.needsReconcile)
        #expect(abs((retried.deadline ?? 0) - (now + 300_000)) < 60_000)
        #expect(try store.command(id: pending)?.generation == 1, "a pending command is never retried")

        // A misspelt reason matches nothing, and says it is not a known one.
        let typo = try await outboxAsync(["retry", "--reason", "attempts_exhaustd", "--dry-run"], db: db)
        #expect(typo.status == 0 && typo.stdout.contains("would retry 0 command(s)"))
        #expect(typo.stderr.contains("'attempts_exhaustd' is not a reason this version writes"), "\(typo.stderr)")

        // Nothing old enough: nothing to do, no question asked.
        let none = try await outboxAsync(["retry", "--state", "dead", "--older-than", "1d"], db: db)
        #expect(none.status == 0 && none.stdout.contains("retried 0 command(s)"), "\(none.stdout) \(none.stderr)")
    }

    @Test("discard by filter never discards what may have been sent; --reason, --older-than, --terminal")
    func discard() async throws {
        let fresh = try store.enqueue(Sample.sale(terminal: "STORE1-TILL3")).id  // never sent
        let refused503 = try make(Sample.sale(terminal: "STORE1-TILL3"), attempts: ["transient"])  // Paywall said 503
        let marked = try make(Sample.sale(terminal: "STORE1-TILL3"), attempts: ["unknown"], needsReconcile: true)
        // An unknown send not (yet) marked for reconciliation: still may have been sent.
        let unknown = try make(Sample.sale(terminal: "STORE1-TILL3"), attempts: ["unknown"])
        let pair = try store.enqueue(Self.pairRequest(terminal: "STORE1-TILL3")).id
        let otherTill = try store.enqueue(Sample.sale(terminal: "STORE2-TILL1")).id

        let dry = try decode(
            ActionJSON.self,
            try await outboxAsync(["discard", "--kind", "async_sale", "--terminal", "STORE1-TILL3", "--dry-run", "--json"], db: db).stdout)
        let bulk = try #require(dry.bulk)
        #expect(!dry.done && bulk.dry_run && Set(bulk.ids) == [fresh, refused503] && bulk.matched == 2)
        #expect(Set(bulk.left_alone.map(\.id)) == [marked, unknown])
        #expect(bulk.left_alone.allSatisfy { $0.reason.contains("may already have reached Paywall") })

        let text = try await outboxAsync(["discard", "--kind", "async_sale", "--terminal", "STORE1-TILL3", "--dry-run"], db: db)
        #expect(text.stdout.contains("would discard 2 command(s): async_sale 2"), "\(text.stdout)")
        #expect(text.stdout.contains("left alone #\(marked)") && text.stdout.contains("left alone #\(unknown)"))

        // --reason on pending commands: the last error's text.
        let byReason = try await outboxAsync(["discard", "--reason", "503", "--yes", "--note", "till replaced"], db: db)
        #expect(byReason.status == 0 && byReason.stdout.contains("discarded 1 command(s)"), "\(byReason.stdout) \(byReason.stderr)")
        #expect(try store.command(id: refused503)?.state == .discarded)

        let all = try await outboxAsync(["discard", "--terminal", "STORE1-TILL3", "--yes", "--json"], db: db)
        #expect(all.status == 0, "\(all.stderr)")
        let done = try #require(try decode(ActionJSON.self, all.stdout).bulk)
        #expect(Set(done.ids) == [fresh, pair] && Set(done.left_alone.map(\.id)) == [marked, unknown])
        for id in [fresh, pair, refused503] { #expect(try store.command(id: id)?.state == .discarded) }
        for id in [marked, unknown, otherTill] { #expect(try store.command(id: id)?.state == .pending) }
        let outcomes = try store.inbox(after: 0, limit: 100).filter { $0.outcome?.outcome == .discarded }
        #expect(Set(outcomes.map(\.outboxID)) == [fresh, pair, refused503])
        #expect(try store.auditEntries().filter { $0.action == "discard" }.count == 3)

        #expect(try await outboxAsync(["discard", "--older-than", "1d", "--yes"], db: db).stdout.contains("discarded 0 command(s)"))
        #expect(try await outboxAsync(["discard", "--kind", "async_sale", "--force", "--yes"], db: db).status == 64)
    }

    @Test("the may-have-been-sent rule", arguments: [
        ([String](), false, false), (["transient"], false, false), (["unknown"], false, true),
        (["unknown", "reconciled"], false, false), (["sending"], false, true), (["transient"], true, true),
    ])
    func mayHaveBeenSent(outcomes: [String], marked: Bool, expected: Bool) throws {
        let command = OutboxCommand(
            id: 1, commandKey: Sample.guid(), kind: .asyncSale, payload: "{}", createdAt: 0, needsReconcile: marked)
        #expect(OutboxStore.mayHaveBeenSent(command, attemptOutcomes: outcomes) == expected)
        var accepted = command
        accepted.acceptedAt = 5
        #expect(OutboxStore.mayHaveBeenSent(accepted, attemptOutcomes: outcomes))
    }
}
