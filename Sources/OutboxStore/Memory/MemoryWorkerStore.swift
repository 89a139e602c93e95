import OutboxModel
import Synchronization

/// The store contract in memory: the same rules as the SQLite store, as Swift values under one
/// lock, for dispatcher tests that need no database (and as the contract's second reading).
///
/// Each method is one "transaction": it runs under the lock, so it sees no other change and no
/// one sees its half-done state. Nothing survives the process. It is a test store, not a
/// production engine: the producer refusals are the database's (SQLite triggers, PostgreSQL
/// constraints), so ``enqueue(_:now:)`` checks only the key (a command key is taken once,
/// case-insensitively, as `command_key COLLATE NOCASE` is); it has no file and no change watcher:
/// its worker finds new commands on its idle tick.
public final class MemoryWorkerStore: WorkerStore {
    let tables = Mutex(MemoryTables())
    /// Awaited at the start of every ``recordEach(_:worker:)`` with the ids it records: a
    /// dispatcher test holds a commit there to see what the worker does meanwhile.
    let beforeRecord: (@Sendable ([Int64]) async -> Void)?

    /// An empty store; `beforeRecord` (tests) is awaited before each group commit writes.
    public init(beforeRecord: (@Sendable ([Int64]) async -> Void)? = nil) {
        self.beforeRecord = beforeRecord
    }

    // MARK: The producer's side and reads for tests

    /// Queues a command as a producer's INSERT would (`created_at` defaults to `now`); a key
    /// already taken gives the row holding it.
    @discardableResult
    public func enqueue(_ new: NewCommand, now: EpochMillis) -> EnqueueResult {
        tables.withLock { t in
            let key = new.commandKey.lowercased()
            if let taken = t.commands.values.first(where: { $0.commandKey.lowercased() == key }) {
                return .alreadyQueued(taken.id)
            }
            let id = t.nextCommandID
            t.nextCommandID += 1
            var command = OutboxCommand(
                id: id, commandKey: new.commandKey, kind: .asyncSale, payload: new.payload, saleKey: new.saleKey,
                paymentRequestId: new.paymentRequestId, notBefore: new.notBefore, deadline: new.deadline,
                createdAt: new.createdAt ?? now, dueAt: 0)
            command.kindName = new.kindName
            t.commands[id] = command
            return .inserted(id)
        }
    }

    /// The inbox rows after `id`, in id order (the merchant's cursor).
    public func inbox(after id: Int64) -> [InboxRow] {
        tables.withLock { t in t.inbox.filter { $0.id > id } }
    }

    /// The attempt rows of a command, oldest first.
    public func attempts(commandID: Int64) -> [AttemptRow] {
        tables.withLock { t in t.attempts.filter { $0.outboxID == commandID } }
    }

    /// Every command, in id order.
    public func commands() -> [OutboxCommand] {
        tables.withLock { $0.orderedCommands }
    }

    // MARK: Claims and leases

    public func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64, callerIdle: Bool,
        decide: @escaping @Sendable (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) async throws -> [ClaimedCommand] {
        guard limit > 0 else { return [] }
        return tables.withLock { t in
            let now = clock.now()
            return Self.claim(&t, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis).map { command in
                let context = Self.planningContext(for: command, t)
                var claimed = ClaimedCommand(command: command, context: context, markedAt: nil)
                if case .markSending(let deadline) = decide(command, context, now),
                    case .marked(let at) = Self.mark(&t, commandID: command.id, owner: owner, now: now, deadline: deadline)
                {
                    claimed.markedAt = at
                }
                return claimed
            }
        }
    }

    /// The due pending commands (due order), leased to `owner`.
    static func claim(_ t: inout MemoryTables, owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64)
        -> [OutboxCommand]
    {
        claim(&t, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis) { _ in true }
    }

    static func claim(
        _ t: inout MemoryTables, owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64,
        where wanted: (OutboxCommand) -> Bool
    ) -> [OutboxCommand] {
        let due = t.commands.values
            .filter { $0.state == .pending && $0.dueAt <= now && wanted($0) }
            .sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
            .prefix(limit)
        return due.map { command in
            var command = command
            command.state = .inFlight
            command.leaseOwner = owner
            command.leaseExpiresAt = now + leaseMillis
            command.updatedAt = now
            t.commands[command.id] = command
            return command
        }
    }

    public func claimOverdue(
        owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64, defaultDeadlines: [String: Int64]
    ) async throws -> [OutboxCommand] {
        guard limit > 0 else { return [] }
        return tables.withLock { t in
            Self.claim(&t, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis) { command in
                guard !command.needsReconcile, command.paywallPaymentRequestId == nil else { return false }
                guard let deadline = command.deadline ?? defaultDeadlines[command.kindName].map({ command.createdAt + $0 })
                else { return false }
                return deadline < now
            }
        }
    }

    public func planningContext(for command: OutboxCommand) async throws -> PlanningContext {
        tables.withLock { Self.planningContext(for: command, $0) }
    }

    /// For a follow-up: its sale (by `sale_key`, or by the PaymentRequestId Paywall gave a local
    /// sale); for a sale: its follow-ups; the related commands in id order, itself left out.
    static func planningContext(for command: OutboxCommand, _ t: MemoryTables) -> PlanningContext {
        if command.kind?.role == .standalone { return PlanningContext() }
        let rows = t.orderedCommands
        let isSale: (OutboxCommand) -> Bool = { $0.kind?.role == .sale }
        var sale: OutboxCommand?
        if command.kind?.role == .sale {
            sale = command
        } else if let key = command.saleKey?.lowercased() {
            sale = rows.first { $0.commandKey.lowercased() == key && isSale($0) }
        } else if let paymentRequestId = command.paymentRequestId?.lowercased() {
            sale = rows.first { $0.paywallPaymentRequestId?.lowercased() == paymentRequestId && isSale($0) }
        }
        // Keys and payment ids compare without regard to case (SQLite NOCASE, PostgreSQL citext).
        let saleKey = (sale?.commandKey ?? command.saleKey)?.lowercased()
        let paymentRequestId = (sale?.paywallPaymentRequestId ?? command.paymentRequestId)?.lowercased()
        let related = rows.filter { row in
            row.id != command.id
                && ((saleKey != nil && row.saleKey?.lowercased() == saleKey)
                    || (paymentRequestId != nil && row.paymentRequestId?.lowercased() == paymentRequestId))
        }
        return PlanningContext(sale: command.kind?.role == .sale ? nil : sale, related: related)
    }

    /// Memory has no power to lose: `durable` changes nothing.
    public func markSending(
        commandID: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?, durable: Bool
    ) async throws -> OutboxStore.SendMark {
        tables.withLock { t in Self.mark(&t, commandID: commandID, owner: owner, now: clock.now(), deadline: deadline) }
    }

    /// needs_reconcile and an open `sending` attempt, under `owner`'s lease, unless past `deadline`.
    static func mark(_ t: inout MemoryTables, commandID: Int64, owner: String, now: EpochMillis, deadline: EpochMillis?)
        -> OutboxStore.SendMark
    {
        if let deadline, now > deadline { return .pastDeadline(at: now) }
        guard var command = t.commands[commandID], command.state == .inFlight, command.leaseOwner == owner else {
            return .leaseLost
        }
        command.needsReconcile = true
        command.updatedAt = now
        t.commands[commandID] = command
        t.attempts.append(
            AttemptRow(
                id: t.nextAttemptID, outboxID: commandID, generation: command.generation, worker: owner,
                record: AttemptRecord(startedAt: now, outcome: "sending", error: "request leaving; no answer recorded yet")))
        t.nextAttemptID += 1
        return .marked(at: now)
    }

    public func withdrawMark(
        commandID: Int64, owner: String, needsReconcile: Bool, then update: CommandUpdate, now: EpochMillis
    ) async throws -> Bool {
        tables.withLock { t in
            guard var command = t.commands[commandID], command.state == .inFlight, command.leaseOwner == owner else {
                return false
            }
            var draft = t
            command.needsReconcile = needsReconcile
            draft.commands[commandID] = command
            draft.attempts.removeAll {
                $0.outboxID == commandID && $0.record.request == .send && $0.record.outcome == "sending"
                    && $0.worker == owner
            }
            // As the database engines do: the withdrawal stands even when the update's
            // precondition fails (only the update is not written).
            let withdrawn = draft
            guard Self.record([update], worker: owner, now: now, &draft) else {
                t = withdrawn
                return false
            }
            t = draft
            return true
        }
    }

    public func release(ids: [Int64], owner: String, dueAt: EpochMillis?, now: EpochMillis) async throws -> Int {
        tables.withLock { t in
            var released = 0
            for id in ids {
                guard var command = t.commands[id], command.state == .inFlight, command.leaseOwner == owner else {
                    continue
                }
                command.state = .pending
                command.leaseOwner = nil
                command.leaseExpiresAt = nil
                command.dueAt = dueAt ?? command.dueAt
                command.updatedAt = now
                t.commands[id] = command
                released += 1
            }
            return released
        }
    }

    public func extendLeases(ids: [Int64], owner: String, until: EpochMillis, now: EpochMillis) async throws -> [Int64] {
        tables.withLock { t in
            ids.filter { id in
                guard var command = t.commands[id], command.state == .inFlight, command.leaseOwner == owner else {
                    return false
                }
                command.leaseExpiresAt = until
                command.updatedAt = now
                t.commands[id] = command
                return true
            }
        }
    }

    public func hasLiveWork() async throws -> Bool {
        tables.withLock { t in
            t.commands.values.contains { $0.state == .pending || $0.state == .inFlight }
                || t.follows.values.contains { $0.follow.state == .following }
        }
    }

    /// Expired leases go back to the queue due now; an open `sending` attempt of theirs becomes
    /// `unknown` (the holder may have sent it: its reconcile mark stays).
    public func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64]) async throws -> [Int64] {
        tables.withLock { t in
            let spared = Set(held)
            let expired = t.orderedCommands.filter {
                // No lease end at all (a row written by hand) counts as ended, as on the database engines.
                $0.state == .inFlight && ($0.leaseExpiresAt ?? .min) < now && !spared.contains($0.id)
            }
            for var command in expired {
                command.lastError = "lease held by \(command.leaseOwner ?? "?") expired"
                command.state = .pending
                command.dueAt = now
                command.updatedAt = now
                command.leaseOwner = nil
                command.leaseExpiresAt = nil
                t.commands[command.id] = command
                for index in t.attempts.indices
                where t.attempts[index].outboxID == command.id && t.attempts[index].record.request == .send
                    && t.attempts[index].record.outcome == "sending"
                {
                    t.attempts[index].record.outcome = "unknown"
                    t.attempts[index].record.error = "no answer recorded: the worker holding it stopped"
                }
            }
            return expired.map(\.id)
        }
    }

    // MARK: Reads

    public func command(id: Int64) async throws -> OutboxCommand? { tables.withLock { $0.commands[id] } }

    public func sendHistory(commandID: Int64) async throws -> SendHistory {
        tables.withLock { t in
            let sends = t.attempts.filter { $0.outboxID == commandID && $0.record.request == .send }.map(\.record)
            guard !sends.isEmpty else { return SendHistory() }
            return SendHistory(
                firstSendAt: sends.map(\.startedAt).min(),
                lastSendAt: sends.map { $0.startedAt + ($0.durationMillis ?? 0) }.max(),
                duplicateAnswered: sends.contains {
                    $0.outcome == "already_done" && $0.error == "duplicate_merchant_unique_code"
                },
                sends: sends.count)
        }
    }

    public var latestSchemaVersion: Int { OutboxStore.latestSchemaVersion }

    public var location: String { "memory" }

    public var localFile: (any LocalFileStorage)? { nil }
}
