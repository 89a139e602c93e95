import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

/// Puts a command in a final state the way a worker would: claim, then record.
private func finish(
    _ store: OutboxStore, _ id: Int64, as outcome: FinalOutcome, attempts: [String], now: EpochMillis = 1_000
) throws {
    for (index, attempt) in attempts.enumerated() {
        let claimed = try store.claim(owner: "w", now: now, limit: 1_000, leaseMillis: 10_000)
        #expect(claimed.contains { $0.id == id })
        try store.release(ids: claimed.map(\.id).filter { $0 != id }, owner: "w", now: now)
        let last = index == attempts.count - 1
        let next: CommandUpdate.Next =
            last
            ? .finish(InboxOutcome(outcome, reason: .attemptsExhausted))
            : .reschedule(dueAt: now, needsReconcile: attempt == "unknown", lastError: attempt)
        #expect(
            try store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("w"),
                    attempt: AttemptRecord(startedAt: now, durationMillis: 5, outcome: attempt), countsAsAttempt: true,
                    next: next)], worker: "w", now: now))
    }
}

private func auditRows(_ store: OutboxStore) throws -> [AuditRow] { try store.auditEntries(limit: 100) }

@Suite("Store: operator repairs")
struct RepairTests {
    static func created(_ command: NewCommand, at time: EpochMillis) -> NewCommand {
        var command = command
        command.createdAt = EpochRange.earliest + time  // the schema accepts real times only
        return command
    }

    @Test(
        "reconcile-first rule for retries",
        arguments: [
            ([String](), nil as String?, false, false),
            (["transient", "transient"], nil, false, false),
            (["unknown"], nil, false, true),
            (["unknown", "reconciled"], nil, false, false),
            (["unknown", "transient"], nil, false, true),
            (["unknown", "already_done"], nil, false, false),
            (["rejected"], "lease held by w1 expired", false, true),
            (["rejected"], nil, true, true),
        ])
    func reconcileRule(outcomes: [String], lastError: String?, marked: Bool, expected: Bool) {
        #expect(OutboxStore.retryNeedsReconcile(attemptOutcomes: outcomes, lastError: lastError, wasMarked: marked) == expected)
    }

    @Test("retrying a dead sale whose last send had an unknown outcome: new generation, reconcile first, audited")
    func retryDeadUnknownSale() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        try finish(store, id, as: .dead, attempts: ["transient", "unknown"])
        let before = try #require(try store.command(id: id))
        #expect(before.state == .dead && !before.needsReconcile && before.generation == 1)

        let deadline = EpochRange.earliest + 65_000  // a real time: the store reads times between 2000 and 2100
        let result = try store.retry(id: id, actor: "alice", now: 5_000, deadline: .at(deadline), note: "terminal back")
        #expect(result.previousState == .dead && result.generation == 2 && result.needsReconcile)
        let after = try #require(try store.command(id: id))
        #expect(after.state == .pending && after.attempts == 0 && after.dueAt == 5_000 && after.generation == 2)
        #expect(after.needsReconcile && after.deadline == deadline && after.finishedAt == nil)
        #expect(after.lastError == "retried by operator alice")
        // The worker can claim it at once, and its next outcome is a new inbox row (generation 2).
        #expect(try store.claim(owner: "w2", now: 5_000, limit: 10, leaseMillis: 1_000).map(\.id) == [id])
        #expect(
            try store.record(
                [CommandUpdate(commandID: id, precondition: .leasedBy("w2"), next: .finish(InboxOutcome(.succeeded)))],
                worker: "w2", now: 6_000))
        #expect(try store.inbox(after: 0).map(\.generation) == [1, 2])

        let audit = try #require(try auditRows(store).first)
        #expect(audit.action == "retry" && audit.actor == "alice" && audit.outboxID == id && audit.at == 5_000)
        let detail = try #require(audit.detail)
        #expect(detail.contains(#""previous_state":"dead""#) && detail.contains(#""needs_reconcile":true"#))
        #expect(detail.contains(#""note":"terminal back""#) && detail.contains(#""generation":2"#))
    }

    @Test("retrying a failed command whose sends were answered does not ask for reconciliation; keep deadline")
    func retryFailedClean() throws {
        let store = try TestDatabase().open()
        var command = Sample.sale()
        command.deadline = EpochRange.earliest + 2_000
        let id = try store.enqueue(command).id
        try finish(store, id, as: .failed, attempts: ["rejected"])
        let result = try store.retry(id: id, actor: "bob", now: 9_000, deadline: .keep)
        #expect(!result.needsReconcile && result.deadline == EpochRange.earliest + 2_000)
    }

    @Test("retry refuses pending, in-flight and succeeded commands and changes nothing", arguments: ["pending", "in_flight", "succeeded"])
    func retryRefused(state: String) throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        if state != "pending" { _ = try store.claim(owner: "w", now: 0, limit: 1, leaseMillis: 10_000) }
        if state == "succeeded" {
            try store.record(
                [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
                worker: "w", now: 1)
        }
        #expect(throws: RepairError.self) { try store.retry(id: id, actor: "a", now: 5, deadline: .keep) }
        do {
            _ = try store.retry(id: id, actor: "a", now: 5, deadline: .keep)
        } catch let error as RepairError {
            #expect(error.code == .wrongState && error.message.contains(state))
        }
        #expect(try store.command(id: id)?.generation == 1)
        #expect(try auditRows(store).isEmpty)
        #expect(throws: RepairError(.notFound, "no command with id 999")) {
            try store.retry(id: 999, actor: "a", now: 5, deadline: .keep)
        }
    }

    @Test("discarding a pending unleased command ends it with an inbox outcome 'discarded by operator', audited")
    func discardPending() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let id = try store.enqueue(sale).id
        let result = try store.discard(id: id, actor: "carol", now: 7_000, note: "duplicate")
        let command = try #require(try store.command(id: id))
        #expect(command.state == .discarded && command.finishedAt == 7_000)
        let inbox = try store.inbox(after: 0)
        #expect(inbox.count == 1 && inbox[0].id == result.inboxID)
        #expect(inbox[0].outcome?.outcome == .discarded && inbox[0].outcome?.reason == .operator)
        #expect(inbox[0].outcome?.message == "discarded by operator" && inbox[0].commandKey == sale.commandKey)
        let audit = try #require(try auditRows(store).first)
        #expect(audit.action == "discard" && audit.outboxID == id && audit.detail?.contains("duplicate") == true)
        // Nothing left for a worker.
        #expect(try store.claim(owner: "w", now: 8_000, limit: 10, leaseMillis: 1_000).isEmpty)
    }

    @Test("discard refuses a command a worker holds, and a finished one; no inbox row, no audit")
    func discardRefused() throws {
        let store = try TestDatabase().open()
        let held = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "worker-1", now: 0, limit: 1, leaseMillis: 60_000)
        do {
            _ = try store.discard(id: held, actor: "a", now: 1)
            Issue.record("discard of an in-flight command succeeded")
        } catch let error as RepairError {
            #expect(error.code == .inFlight && error.message.contains("worker-1"))
        }
        try store.record(
            [CommandUpdate(commandID: held, precondition: .leasedBy("worker-1"), next: .finish(InboxOutcome(.succeeded)))],
            worker: "worker-1", now: 2)
        do {
            _ = try store.discard(id: held, actor: "a", now: 3)
            Issue.record("discard of a finished command succeeded")
        } catch let error as RepairError {
            #expect(error.code == .wrongState)
        }
        #expect(try store.inbox(after: 0).count == 1)
        #expect(try auditRows(store).isEmpty)
    }

    @Test("discard refuses a command that may have reached Paywall unless forced")
    func discardNeedsReconcile() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        _ = try store.claim(owner: "dead-worker", now: 0, limit: 1, leaseMillis: 10)
        #expect(try store.markSending(commandID: id, owner: "dead-worker", now: 1, durable: false))
        #expect(try store.releaseExpiredLeases(now: 100) == [id])
        #expect(throws: RepairError.self) { try store.discard(id: id, actor: "a", now: 200) }
        #expect(try store.command(id: id)?.state == .pending)
        _ = try store.discard(id: id, actor: "a", now: 300, force: true)
        #expect(try store.command(id: id)?.state == .discarded)
        #expect(try auditRows(store).first?.detail?.contains(#""forced":true"#) == true)
    }

    @Test("a worker's claim and an operator's discard race safely: exactly one wins")
    func discardRacesClaim() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let ids = try (0..<200).map { _ in try store.enqueue(Sample.sale()).id }
        let worker = try database.open()
        let group = DispatchGroup()
        nonisolated(unsafe) var claimed: [Int64] = []
        DispatchQueue.global().async(group: group) {
            while let batch = try? worker.claim(owner: "w", now: 0, limit: 3, leaseMillis: 60_000), !batch.isEmpty {
                claimed += batch.map(\.id)
            }
        }
        var discarded: [Int64] = []
        for id in ids.reversed() {
            if (try? store.discard(id: id, actor: "op", now: 1)) != nil { discarded.append(id) }
        }
        group.wait()
        #expect(Set(claimed).isDisjoint(with: Set(discarded)))
        #expect(Set(claimed).union(discarded) == Set(ids))
        #expect(try store.inbox(after: 0, limit: 1_000).count == discarded.count)
        #expect(try store.auditEntries(limit: 1_000).count == discarded.count)
    }

    @Test("purge deletes old finished commands and their attempts, keeps inbox rows unless asked, audits")
    func purge() throws {
        let store = try TestDatabase().open()
        let t = EpochRange.earliest  // every time offset from it: the schema accepts real times only
        let old = try (0..<5).map { _ in try store.enqueue(Self.created(Sample.sale(), at: 500)).id }
        for id in old { try finish(store, id, as: .succeeded, attempts: ["succeeded"], now: t + 1_000) }
        let recent = try store.enqueue(Self.created(Sample.sale(), at: 40_000)).id
        try finish(store, recent, as: .dead, attempts: ["transient"], now: t + 50_000)
        let pending = try store.enqueue(Self.created(Sample.sale(), at: 500)).id

        let dry = try store.purge(finishedBefore: t + 10_000, includeInbox: false, dryRun: true, actor: "op", now: t + 60_000)
        #expect(dry.commands == 5 && dry.attempts == 5 && dry.inbox == 0 && dry.dryRun)
        #expect(try store.list(CommandFilter(limit: 100)).count == 7)
        #expect(try auditRows(store).isEmpty)

        let done = try store.purge(
            finishedBefore: t + 10_000, includeInbox: false, dryRun: false, actor: "op", now: 60_000, batchSize: 2)
        #expect(done.commands == 5 && done.attempts == 5 && done.inbox == 0)
        #expect(Set(try store.list(CommandFilter(limit: 100)).map(\.id)) == [recent, pending])
        #expect(try store.inbox(after: 0, limit: 100).count == 6)
        let audit = try auditRows(store)
        #expect(audit.count == 1 && audit[0].action == "purge")
        #expect(audit[0].detail?.contains(#""commands":5"#) == true)

        let withInbox = try store.purge(finishedBefore: t + 60_000, includeInbox: true, dryRun: false, actor: "op", now: t + 70_000)
        #expect(withInbox.commands == 1 && withInbox.inbox == 1)
        #expect(try store.list(CommandFilter(limit: 100)).map(\.id) == [pending])
    }

    @Test("purge keeps a finished sale that an unfinished cancel still names")
    func purgeKeepsSaleOfPendingFollowUp() throws {
        let store = try TestDatabase().open()
        let t = EpochRange.earliest
        let sale = Sample.sale()
        let saleID = try store.enqueue(Self.created(sale, at: 500)).id
        try finish(store, saleID, as: .succeeded, attempts: ["succeeded"], now: t + 1_000)
        _ = try store.enqueue(Self.created(Sample.cancel(saleKey: sale.commandKey), at: 600))
        let result = try store.purge(finishedBefore: t + 10_000, includeInbox: false, dryRun: false, actor: "op", now: t + 20_000)
        #expect(result.commands == 0 && result.keptForFollowUps == 1)
        #expect(try store.command(id: saleID) != nil)
    }

    @Test("operator enqueue is audited in the same transaction; re-queuing the key changes nothing")
    func enqueueAudited() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let now = EpochRange.earliest + 1_000
        let first = try store.enqueue(sale, actor: "dave", now: now)
        #expect(first == .inserted(first.id))
        #expect(try store.enqueue(sale, actor: "dave", now: now + 1_000) == .alreadyQueued(first.id))
        #expect(try store.command(id: first.id)?.createdAt == now)
        let audit = try auditRows(store)
        #expect(audit.count == 1 && audit[0].action == "enqueue" && audit[0].outboxID == first.id)
        #expect(throws: OutboxStoreError.self) {
            try store.enqueue(NewCommand(commandKey: "x", kindName: "nope", payload: "{}"), actor: "d", now: 1)
        }
        #expect(try auditRows(store).count == 1)
    }

    @Test("migrate brings a v1 file to the latest version with an audit row; dry run changes nothing")
    func migrateAudited() throws {
        let database = try TestDatabase()
        let queue = try DatabaseQueue(path: database.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: embeddedMigrations[0].sql)
        }
        #expect(try OutboxStore.schemaVersion(atPath: database.path) == 1)
        let dry = try OutboxStore.migrate(path: database.path, actor: "eve", now: 1, dryRun: true)
        #expect(dry.from == 1 && dry.applied == Array(2...OutboxStore.latestSchemaVersion))
        #expect(try OutboxStore.schemaVersion(atPath: database.path) == 1)
        let done = try OutboxStore.migrate(path: database.path, actor: "eve", now: 2, dryRun: false)
        #expect(done.from == 1 && done.to == OutboxStore.latestSchemaVersion && !done.applied.isEmpty)
        let store = try database.open { $0.migrate = false }
        let audit = try store.auditEntries()
        #expect(audit.count == 1 && audit[0].action == "migrate" && audit[0].actor == "eve")
        let again = try OutboxStore.migrate(path: database.path, actor: "eve", now: 3, dryRun: false)
        #expect(again.applied.isEmpty)
        #expect(try store.auditEntries().count == 1)
        #expect(try OutboxStore.schemaVersion(atPath: database.directory.appendingPathComponent("none").path) == nil)
    }

    @Test("worker status rows: fresh heartbeats keep their state, stale ones are gone; waiting commands are found")
    func workerStatusAndWaiting() throws {
        let database = try TestDatabase()
        let store = try database.open()
        // A product connection: schema 003 refuses worker_status writes from any other.
        let queue = try DatabaseQueue(
            path: database.path, configuration: ProductConnection.configuration(label: "test", busyTimeoutSeconds: 5))
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO worker_status (worker, started_at, heartbeat_at, state, pause_reason, next_probe_at)
                    VALUES ('a', 0, 100000, 'paused', 'unreachable: connection refused', 130000),
                           ('b', 0, 1000, 'running', NULL, NULL)
                    """)
        }
        let rows = try store.workerStatuses()
        #expect(rows.map(\.worker) == ["a", "b"])
        #expect(rows[0].liveness(now: 105_000) == .paused && rows[0].pauseReason == "unreachable: connection refused")
        #expect(rows[1].liveness(now: 105_000) == .gone)
        // Five heartbeats missed: gone (the default); a longer limit can be asked for.
        #expect(rows[0].liveness(now: 100_000 + WorkerStatusRow.staleAfterMillis + 1) == .gone)
        #expect(rows[0].liveness(now: 150_000, staleAfter: 120_000) == .paused)

        let sale = Sample.sale()
        _ = try store.enqueue(sale)
        let cancel = try store.enqueue(Sample.cancel(saleKey: sale.commandKey)).id
        let claimed = try store.claim(owner: "w", now: 0, limit: 10, leaseMillis: 1_000)
        #expect(claimed.count == 2)
        try store.record(
            [CommandUpdate(
                commandID: cancel, precondition: .leasedBy("w"),
                next: .reschedule(dueAt: 5_000, needsReconcile: false, lastError: "waiting: sale not accepted yet"))],
            worker: "w", now: 1)
        let waiting = try store.waitingCommands()
        #expect(waiting.total == 1 && waiting.commands.map(\.id) == [cancel])
    }
}
