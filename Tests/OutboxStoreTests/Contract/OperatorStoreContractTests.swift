import Foundation
import OutboxModel
import Synchronization
import Testing

@testable import OutboxStore

/// The operator contract (``OperatorStore``), one suite for every engine the `outbox` CLI
/// serves: each case runs against SQLite and PostgreSQL (``OperatorSubject/all``). Commands are
/// moved through their states by the worker's side of the same store, as a worker would.
@Suite("Operator contract: every repair verb, query and migration, on every engine")
struct OperatorStoreContractTests {
    static let t0: EpochMillis = 1_800_000_000_000
    let t0 = Self.t0

    /// Claims `id` for `worker` (marking it as sent when `marked`), then records `next`.
    func finish(
        _ f: OperatorFixture, _ id: Int64, _ next: CommandUpdate.Next, attempt: String? = nil, marked: Bool = false,
        at now: EpochMillis
    ) async throws {
        let claimed = try await f.worker.claimBatch(owner: "w", clock: FixedWallClock(now), limit: 50, leaseMillis: 60_000) {
            command, _, _ in command.id == id && marked ? .markSending(deadline: nil) : .claimOnly
        }
        #expect(claimed.map(\.command.id).contains(id))
        let others = claimed.map(\.command.id).filter { $0 != id }
        _ = try await f.worker.release(ids: others, owner: "w", dueAt: nil, now: now)
        let record = attempt.map { AttemptRecord(startedAt: now, outcome: $0) }
        #expect(
            try await f.worker.record(
                [CommandUpdate(commandID: id, precondition: .leasedBy("w"), attempt: record, next: next)], worker: "w",
                now: now))
    }

    /// A refusal's code, or nil when `body` did not throw a ``RepairError``.
    func refusal(_ body: () async throws -> Void) async -> RepairError.Code? {
        do {
            try await body()
            return nil
        } catch let error as RepairError {
            return error.code
        } catch {
            Issue.record("expected a RepairError, got \(error)")
            return nil
        }
    }

    @Test("find and list: by id, by key or PaymentRequestId prefix in any case, with filters, newest first", arguments: OperatorSubject.all)
    func findAndList(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let saleKey = "aaaa1111-" + Sample.guid().dropFirst(9)
        let sale = try await f.produce(Sample.sale(saleKey), t0)
        let cancel = try await f.produce(Sample.cancel(saleKey: saleKey), t0 + 10)
        let other = try await f.produce(Sample.sale(), t0 + 20)
        #expect(try await f.store.find(reference: "\(sale)", limit: 20).map(\.id) == [sale])
        #expect(try await f.store.find(reference: "AAAA1111", limit: 20).map(\.id) == [sale])
        #expect(try await f.store.find(reference: saleKey.uppercased(), limit: 20).map(\.id) == [sale])
        #expect(try await f.store.find(reference: "%", limit: 20).isEmpty)
        #expect(try await f.store.find(reference: "  ", limit: 20).isEmpty)
        #expect(try await f.store.list(CommandFilter()).map(\.id) == [other, cancel, sale])
        #expect(try await f.store.list(CommandFilter(limit: 2)).map(\.id) == [other, cancel])
        #expect(try await f.store.list(CommandFilter(kinds: ["async_cancel"])).map(\.id) == [cancel])
        #expect(try await f.store.list(CommandFilter(states: [.dead])).isEmpty)
        #expect(try await f.store.list(CommandFilter(terminal: "T1")).map(\.id) == [other, sale])
        #expect(try await f.store.list(CommandFilter(createdFrom: t0 + 10, createdBefore: t0 + 20)).map(\.id) == [cancel])
        #expect(try await f.store.list(CommandFilter(keyPrefix: "AAAA1111")).map(\.id) == [sale])
        #expect(try await f.store.command(id: other)?.commandKey != nil)
        #expect(try await f.store.command(id: 999_999) == nil)
    }

    @Test("detail: attempts and inbox rows in order, and the related commands of a sale and of its follow-up", arguments: OperatorSubject.all)
    func detailAndRelated(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let saleKey = Sample.guid()
        let sale = try await f.produce(Sample.sale(saleKey), t0)
        let cancel = try await f.produce(Sample.cancel(saleKey: saleKey), t0)
        try await finish(
            f, sale, .finish(InboxOutcome(.succeeded, paymentRequestId: "pr-1")), attempt: "succeeded", marked: true,
            at: t0 + 5)
        let detail = try #require(try await f.store.detail(id: sale))
        #expect(detail.command.state == .succeeded)
        #expect(detail.attempts.map(\.record.outcome) == ["succeeded"])
        #expect(detail.attempts.allSatisfy { $0.outboxID == sale && $0.generation == 1 && $0.worker == "w" })
        #expect(detail.inbox.map(\.outcome?.outcome) == [.succeeded])
        #expect(detail.inbox.first?.outcome?.paymentRequestId == "pr-1")
        #expect(detail.inbox.first?.commandKey.lowercased() == saleKey)
        #expect(detail.related.map(\.id) == [cancel])
        #expect(try await f.store.detail(id: cancel)?.related.map(\.id) == [sale])
        #expect(try await f.store.detail(id: 999_999) == nil)
        #expect(try await f.store.inbox(after: 0, limit: 10).map(\.outboxID) == [sale])
        #expect(try await f.store.attemptOutcomes(of: detail.command) == ["succeeded"])
    }

    @Test("retry: a new generation, reconcile-first when the last send may have arrived, an audit row; refused from any other state", arguments: OperatorSubject.all)
    func retry(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let lost = try await f.produce(Sample.sale(), t0)
        let refused = try await f.produce(Sample.sale(), t0)
        let pending = try await f.produce(Sample.sale(), t0)
        try await finish(f, lost, .finish(InboxOutcome(.dead, reason: .attemptsExhausted)), attempt: "unknown", at: t0 + 1)
        try await finish(f, refused, .finish(InboxOutcome(.failed, reason: .rejected)), attempt: "rejected", at: t0 + 1)

        let first = try await f.store.retry(id: lost, actor: "op", now: t0 + 100, deadline: .at(t0 + 900), note: "why")
        #expect(first == RetryResult(id: lost, previousState: .dead, generation: 2, needsReconcile: true, deadline: t0 + 900))
        let again = try #require(try await f.store.command(id: lost))
        #expect(again.state == .pending && again.generation == 2 && again.attempts == 0 && again.needsReconcile)
        #expect(again.dueAt == t0 + 100 && again.deadline == t0 + 900 && again.finishedAt == nil)
        #expect(again.lastError == "retried by operator op")
        let second = try await f.store.retry(id: refused, actor: "op", now: t0 + 100, deadline: .keep, note: nil)
        #expect(second.needsReconcile == false && second.previousState == .failed && second.deadline == nil)

        let audit = try await f.store.auditEntries(outboxID: lost, limit: 10)
        #expect(audit.map(\.action) == ["retry"])
        #expect(audit.first?.actor == "op" && audit.first?.at == t0 + 100)
        let detail = try JSONSerialization.jsonObject(with: Data((audit.first?.detail ?? "{}").utf8)) as? [String: Any]
        #expect(detail?["previous_state"] as? String == "dead")
        #expect(detail?["needs_reconcile"] as? Bool == true)
        #expect(detail?["note"] as? String == "why")

        #expect(await refusal { _ = try await f.store.retry(id: pending, actor: "op", now: t0, deadline: .keep, note: nil) } == .wrongState)
        #expect(await refusal { _ = try await f.store.retry(id: lost, actor: "op", now: t0, deadline: .keep, note: nil) } == .wrongState)
        #expect(await refusal { _ = try await f.store.retry(id: 999_999, actor: "op", now: t0, deadline: .keep, note: nil) } == .notFound)
        // A refused retry leaves the command and the audit table as they were.
        #expect(try await f.store.command(id: pending)?.generation == 1)
        #expect(try await f.store.auditEntries(outboxID: nil, limit: 10).count == 2)
    }

    @Test("discard: a pending unleased command ends discarded with its inbox row and audit; refused in flight, finished, or marked unless forced", arguments: OperatorSubject.all)
    func discard(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let plain = try await f.produce(Sample.sale(), t0)
        let held = try await f.produce(Sample.sale(), t0)
        let marked = try await f.produce(Sample.sale(), t0)
        // `marked` was sent and its answer lost: pending again, awaiting reconciliation.
        try await finish(
            f, marked, .reschedule(dueAt: t0 + 60_000, needsReconcile: true, lastError: "timeout"), attempt: "unknown",
            marked: true, at: t0 + 1)

        let result = try await f.store.discard(id: plain, actor: "op", now: t0 + 50, force: false, note: nil)
        #expect(result.id == plain && result.generation == 1)
        let done = try #require(try await f.store.command(id: plain))
        #expect(done.state == .discarded && done.finishedAt == t0 + 50 && done.lastError == "discarded by operator")
        let inbox = try await f.store.inbox(after: 0, limit: 10)
        #expect(inbox.map(\.id) == [result.inboxID])
        #expect(inbox.first?.outcome?.outcome == .discarded && inbox.first?.outcome?.reason == .operator)
        #expect(inbox.first?.outcome?.message == "discarded by operator")
        #expect(try await f.store.auditEntries(outboxID: plain, limit: 5).map(\.action) == ["discard"])

        #expect(await refusal { _ = try await f.store.discard(id: plain, actor: "op", now: t0, force: false, note: nil) } == .wrongState)
        _ = try await f.worker.claimBatch(owner: "w2", clock: FixedWallClock(t0 + 2), limit: 1, leaseMillis: 60_000) { _, _, _ in .claimOnly }
        #expect(try await f.store.command(id: held)?.state == .inFlight)
        #expect(await refusal { _ = try await f.store.discard(id: held, actor: "op", now: t0, force: false, note: nil) } == .inFlight)
        #expect(await refusal { _ = try await f.store.discard(id: marked, actor: "op", now: t0, force: false, note: nil) } == .mayHaveBeenSent)
        #expect(await refusal { _ = try await f.store.discard(id: 999_999, actor: "op", now: t0, force: false, note: nil) } == .notFound)
        #expect(try await f.store.command(id: marked)?.state == .pending)
        let forced = try await f.store.discard(id: marked, actor: "op", now: t0 + 60, force: true, note: "customer left")
        #expect(try await f.store.command(id: marked)?.state == .discarded)
        let audit = try #require(try await f.store.auditEntries(outboxID: marked, limit: 5).first)
        #expect(audit.detail?.contains("\"forced\":true") == true && audit.detail?.contains("customer left") == true)
        #expect(try await f.store.inbox(after: result.inboxID, limit: 10).map(\.id) == [forced.inboxID])
    }

    @Test("purge: the dry run counts what the purge then deletes, in batches, with one audit row; a sale a follow-up names stays; inbox rows only when asked", arguments: OperatorSubject.all)
    func purge(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        var old: [Int64] = []
        for _ in 0..<5 {
            let id = try await f.produce(Sample.sale(), t0)
            try await finish(f, id, .finish(InboxOutcome(.succeeded)), attempt: "succeeded", at: t0 + 1)
            old.append(id)
        }
        // A finished sale whose cancel is still pending: kept.
        let namedKey = Sample.guid()
        let named = try await f.produce(Sample.sale(namedKey), t0)
        try await finish(f, named, .finish(InboxOutcome(.failed, reason: .rejected)), at: t0 + 1)
        _ = try await f.produce(Sample.cancel(saleKey: namedKey), t0 + 2)
        // Finished after the cutoff: kept.
        let recent = try await f.produce(Sample.sale(), t0)
        try await finish(f, recent, .finish(InboxOutcome(.succeeded)), at: t0 + 10_000)

        let cutoff = t0 + 5_000
        let plan = try await f.store.purge(
            finishedBefore: cutoff, includeInbox: false, dryRun: true, actor: "op", now: t0 + 20_000, batchSize: 2,
            onBatch: nil)
        #expect(plan == PurgeResult(cutoff: cutoff, commands: 5, attempts: 5, inbox: 0, keptForFollowUps: 1, dryRun: true))
        #expect(try await f.store.auditEntries(outboxID: nil, limit: 10).isEmpty)
        let batches = Batches()
        let done = try await f.store.purge(
            finishedBefore: cutoff, includeInbox: false, dryRun: false, actor: "op", now: t0 + 20_000, batchSize: 2,
            onBatch: { batches.add($0.commands) })
        #expect(done == PurgeResult(cutoff: cutoff, commands: 5, attempts: 5, inbox: 0, keptForFollowUps: 1, dryRun: false))
        #expect(batches.seen == [2, 4, 5])
        for id in old { #expect(try await f.store.command(id: id) == nil) }
        #expect(try await f.store.command(id: named) != nil)
        #expect(try await f.store.command(id: recent) != nil)
        // The inbox still holds the purged commands' outcomes (consumers may not have read them).
        #expect(Set(try await f.store.inbox(after: 0, limit: 100).map(\.outboxID)).isSuperset(of: old))
        let audit = try await f.store.auditEntries(outboxID: nil, limit: 10)
        #expect(audit.map(\.action) == ["purge"])
        #expect(audit.first?.detail?.contains("\"commands\":5") == true)

        let withInbox = try await f.store.purge(
            finishedBefore: t0 + 15_000, includeInbox: true, dryRun: false, actor: "op", now: t0 + 20_000, batchSize: 500,
            onBatch: nil)
        #expect(withInbox.commands == 1 && withInbox.inbox == 1)
        #expect(try await f.store.inbox(after: 0, limit: 100).contains { $0.outboxID == recent } == false)
    }

    @Test("enqueue by an operator: inserted with an audit row; the same command again is the queued one; a different one under its key is not queued; a refused row is rejected", arguments: OperatorSubject.all)
    func enqueue(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let key = Sample.guid()
        guard case .inserted(let id) = try await f.store.enqueue(Sample.sale(key), actor: "op", now: t0) else {
            Issue.record("not inserted")
            return
        }
        #expect(try await f.store.command(id: id)?.createdAt == t0)
        #expect(try await f.store.auditEntries(outboxID: id, limit: 5).map(\.action) == ["enqueue"])
        #expect(try await f.store.enqueue(Sample.sale(key), actor: "op", now: t0 + 1) == .alreadyQueued(id))
        #expect(try await f.store.enqueue(Sample.sale(key, amount: "9.99"), actor: "op", now: t0 + 1) == .alreadyQueued(id))
        #expect(try await f.store.command(id: id)?.payload.contains("22.10") == true)
        #expect(try await f.store.auditEntries(outboxID: nil, limit: 5).count == 1)
        var broken = Sample.sale()
        broken.payload = "{not json"
        await #expect(throws: OutboxStoreError.self) { _ = try await f.store.enqueue(broken, actor: "op", now: t0) }
        do {
            _ = try await f.store.enqueue(broken, actor: "op", now: t0)
        } catch let error as OutboxStoreError {
            #expect(error.code == .rejected)
        }
    }

    @Test("overview, waiting commands, worker rows, bulk selection and the --follow poll read the same on every engine", arguments: OperatorSubject.all)
    func monitoring(_ subject: OperatorSubject) async throws {
        let f = try await subject.make()
        defer { f.close() }
        let dead = try await f.produce(Sample.sale(), t0)
        try await finish(f, dead, .finish(InboxOutcome(.dead, reason: .attemptsExhausted)), at: t0 + 1)
        let waiting = try await f.produce(Sample.sale(), t0)
        try await finish(
            f, waiting, .reschedule(dueAt: t0 + 60_000, needsReconcile: false, lastError: "waiting: sale 7"), at: t0 + 2)
        let marked = try await f.produce(Sample.sale(), t0)
        try await finish(
            f, marked, .reschedule(dueAt: t0 + 3, needsReconcile: true, lastError: "unreachable: timeout"), at: t0 + 3)
        let held = try await f.produce(Sample.cancel(saleKey: Sample.guid()), t0)
        _ = try await f.worker.claimBatch(owner: "w9", clock: FixedWallClock(t0 + 4), limit: 1, leaseMillis: 10_000) {
            _, _, _ in .claimOnly
        }
        try await f.worker.heartbeat(worker: "w9", WorkerHeartbeat(state: "running", startedAt: t0, inFlight: 1), now: t0 + 4)

        let overview = try await f.store.overview(now: t0 + 10, troubleSince: t0)
        #expect(
            overview.counts == [
                .init(state: .dead, kind: "async_sale", count: 1), .init(state: .inFlight, kind: "async_cancel", count: 1),
                .init(state: .pending, kind: "async_sale", count: 2),
            ])
        #expect(overview.oldestUnfinished?.id == waiting)
        #expect(overview.leases == [.init(owner: "w9", count: 1, earliestExpiry: t0 + 4 + 10_000)])
        #expect(overview.recentTrouble == [.dead: 1])
        #expect(overview.nextDueAt == t0 + 60_000 && overview.dueNow == 1 && overview.awaitingReconcile == 1)
        let waits = try await f.store.waitingCommands(limit: 5)
        #expect(waits.total == 1 && waits.commands.map(\.id) == [waiting])
        let workers = try await f.store.workerStatuses()
        #expect(workers.map(\.worker) == ["w9"] && workers.first?.inFlight == 1 && workers.first?.heartbeatAt == t0 + 4)
        #expect(try await f.store.followSummary().following == 0)

        #expect(try await f.store.repairCandidates(RepairSelection(states: [.pending], reason: "UNREACHABLE")).map(\.id) == [marked])
        #expect(try await f.store.repairCandidates(RepairSelection(states: [.dead], reason: "attempts_exhausted")).map(\.id) == [dead])
        #expect(try await f.store.repairCandidates(RepairSelection(states: [.dead], reason: "rejected")).isEmpty)
        #expect(try await f.store.repairCandidates(RepairSelection(states: [.pending, .inFlight], kinds: ["async_cancel"])).map(\.id) == [held])

        let seed = try await f.store.listFollowSnapshot(afterInbox: nil, limit: 100)
        #expect(seed.unfinished.map(\.id) == [waiting, marked, held] && seed.finished.isEmpty)
        let discarded = try await f.store.discard(id: waiting, actor: "op", now: t0 + 20, force: false, note: nil)
        let next = try await f.store.listFollowSnapshot(afterInbox: seed.inboxCursor, limit: 100)
        #expect(next.finished.map(\.inboxID) == [discarded.inboxID])
        #expect(next.finished.first?.outcome == "discarded" && next.finished.first?.command.id == waiting)
        #expect(next.unfinished.map(\.id) == [marked, held] && next.inboxCursor == discarded.inboxID)
    }

    @Test("migrations: a dry run changes nothing, the migration applies every version once with one audit row, a newer database is refused", arguments: OperatorSubject.all)
    func migrations(_ subject: OperatorSubject) async throws {
        let empty = try await subject.empty()
        defer { empty.close() }
        let planned = try await empty.migrate(true, t0)
        #expect(planned.from == 0 && planned.to == empty.latest && planned.applied == Array(1...empty.latest) && planned.dryRun)
        #expect(try await empty.version() == 0)
        let applied = try await empty.migrate(false, t0)
        #expect(applied == MigrationResult(from: 0, to: empty.latest, applied: Array(1...empty.latest), dryRun: false))
        #expect(try await empty.version() == empty.latest)
        #expect(try await empty.audits() == 1)
        let again = try await empty.migrate(false, t0 + 1)
        #expect(again.applied.isEmpty && again.from == empty.latest)
        #expect(try await empty.audits() == 1)
        try await empty.makeNewer()
        do {
            _ = try await empty.migrate(false, t0 + 2)
            Issue.record("a database newer than the binary was migrated")
        } catch let error as OutboxStoreError {
            #expect(error.code == .schemaTooNew)
        }
    }
}

/// What a purge's batch callback saw, in order.
private final class Batches: Sendable {
    private let lock = Mutex<[Int]>([])
    func add(_ count: Int) { lock.withLock { $0.append(count) } }
    var seen: [Int] { lock.withLock { $0 } }
}
