import Foundation
import GRDB
import OutboxModel

/// Why an operator repair was refused. The command is left exactly as it was.
public struct RepairError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable {
        /// No command with that id.
        case notFound = "not_found"
        /// The command's state does not allow this repair (e.g. retrying a pending command).
        case wrongState = "wrong_state"
        /// A worker holds the command right now.
        case inFlight = "in_flight"
        /// The command may already have reached Paywall; discarding it locally would lie.
        case mayHaveBeenSent = "may_have_been_sent"
    }

    /// The stable code.
    public var code: Code
    /// What happened and what to do instead, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// What a retry does to the command's explicit deadline.
public enum RetryDeadline: Sendable, Hashable {
    /// Keep the deadline column as it is (NULL: the worker's per-kind default from created_at,
    /// which for an old command has usually passed).
    case keep
    /// Set a new deadline at this time.
    case at(EpochMillis)
}

/// What `retry` did.
public struct RetryResult: Sendable, Hashable, Codable {
    /// The command's row id.
    public var id: Int64
    /// Its state before the retry (dead, expired or failed).
    public var previousState: CommandState
    /// Its new generation (one more than before).
    public var generation: Int
    /// Whether the worker must reconcile with Paywall before any resend.
    public var needsReconcile: Bool
    /// The deadline column after the retry.
    public var deadline: EpochMillis?

    /// Creates a result (the stores make them).
    public init(id: Int64, previousState: CommandState, generation: Int, needsReconcile: Bool, deadline: EpochMillis?) {
        self.id = id
        self.previousState = previousState
        self.generation = generation
        self.needsReconcile = needsReconcile
        self.deadline = deadline
    }
}

/// What `discard` did.
public struct DiscardResult: Sendable, Hashable, Codable {
    /// The command's row id.
    public var id: Int64
    /// The generation whose outcome is now `discarded`.
    public var generation: Int
    /// The inbox row written.
    public var inboxID: Int64

    /// Creates a result (the stores make them).
    public init(id: Int64, generation: Int, inboxID: Int64) {
        self.id = id
        self.generation = generation
        self.inboxID = inboxID
    }
}

/// What `purge` did, or would do with `dryRun`.
public struct PurgeResult: Sendable, Hashable, Codable {
    /// Rows finished before this time were eligible.
    public var cutoff: EpochMillis
    /// Outbox rows deleted (or that would be).
    public var commands: Int
    /// Attempt rows deleted with them.
    public var attempts: Int
    /// Inbox rows deleted with them (only with `includeInbox`).
    public var inbox: Int
    /// Finished sales kept because a follow-up that names them is not finished yet.
    public var keptForFollowUps: Int
    /// Whether nothing was deleted.
    public var dryRun: Bool

    /// Creates a result (the stores make them).
    public init(cutoff: EpochMillis, commands: Int, attempts: Int, inbox: Int, keptForFollowUps: Int, dryRun: Bool) {
        self.cutoff = cutoff
        self.commands = commands
        self.attempts = attempts
        self.inbox = inbox
        self.keptForFollowUps = keptForFollowUps
        self.dryRun = dryRun
    }
}

/// What `migrate` did, or would do with `dryRun`.
public struct MigrationResult: Sendable, Hashable, Codable {
    /// The version found.
    public var from: Int
    /// The version now (or after the migration, with `dryRun`).
    public var to: Int
    /// The versions applied (or that would be).
    public var applied: [Int]
    /// Whether nothing was changed.
    public var dryRun: Bool

    /// Creates a result (the stores make them).
    public init(from: Int, to: Int, applied: [Int], dryRun: Bool) {
        self.from = from
        self.to = to
        self.applied = applied
        self.dryRun = dryRun
    }
}

/// One row of the `audit` table.
public struct AuditRow: Sendable, Hashable, SafelyReadRow {
    /// Row id.
    public var id: Int64
    /// When.
    public var at: EpochMillis
    /// Who.
    public var actor: String
    /// retry | discard | purge | migrate | enqueue.
    public var action: String
    /// The command acted on.
    public var outboxID: Int64?
    /// The details, as JSON object text.
    public var detail: String?

    /// The `audit` columns every engine selects, in this order.
    public static let columns = "id, at, actor, action, outbox_id, detail"

    /// Reads the values of ``columns`` (a SQLite row's, or as another engine stored them); never traps.
    public init(storedValues: [DatabaseValue]) {
        self.init(values: storedValues)
    }

    init(reading reader: SafeRowReader) {
        var reader = reader
        id = reader.integer(0)
        at = reader.optionalWorkerTime(1) ?? 0
        actor = reader.text(2)
        action = reader.text(3)
        outboxID = reader.optionalInteger(4)
        detail = reader.optionalText(5)
    }
}

extension OutboxStore {
    // MARK: - Retry

    /// Whether a retried command must be reconciled with Paywall before it may be resent.
    ///
    /// `attemptOutcomes` are the `attempt.outcome` values of the command's latest generation,
    /// oldest first. A send whose outcome is `unknown` (timeout, dropped connection) may have
    /// reached Paywall; unless a later attempt settled it (`reconciled`, `succeeded`,
    /// `already_done`) the next worker must ask Paywall first. A lease that expired (its worker
    /// died, perhaps after sending) counts as unknown too. Pure, so the rule is unit-tested.
    public static func retryNeedsReconcile(attemptOutcomes: [String], lastError: String?, wasMarked: Bool) -> Bool {
        if wasMarked { return true }
        if let lastError, lastError.hasPrefix("lease held by") { return true }
        var open = false
        for outcome in attemptOutcomes {
            switch outcome {
            case "unknown": open = true
            case "reconciled", "succeeded", "already_done": open = false
            default: continue
            }
        }
        return open
    }

    /// Retries a dead, expired or failed command with fresh attempts: a new generation,
    /// attempts 0, pending and due at `now`, reconcile-first when its last send may have reached
    /// Paywall (see ``retryNeedsReconcile(attemptOutcomes:lastError:wasMarked:)``), and the
    /// deadline `deadline` asks for. Writes an `audit` row in the same transaction.
    public func retry(
        id: Int64, actor: String, now: EpochMillis, deadline: RetryDeadline, note: String? = nil
    ) throws -> RetryResult {
        try repairWrite { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT state, generation, attempts, needs_reconcile, last_error, deadline, lease_owner
                          FROM outbox WHERE id = ?
                        """, arguments: [id])
            else { throw RepairRules.notFound(id: id) }
            var reader = SafeRowReader(
                row, columns: "state, generation, attempts, needs_reconcile, last_error, deadline, lease_owner")
            let stateName = reader.text(0)
            if let refusal = RepairRules.retryRefusal(id: id, stateName: stateName) { throw refusal }
            let before = RepairRules.RetriedRow(
                stateName: stateName, generation: reader.count(1, fallback: 1), attempts: reader.optionalInteger(2),
                lastError: reader.optionalText(4), deadline: reader.optionalProducerTime(5),
                needsReconcile: reader.integer(3) != 0)
            let outcomes = try Row.fetchAll(
                db, sql: "SELECT outcome FROM attempt WHERE outbox_id = ? AND generation = ? ORDER BY id",
                arguments: [id, before.generation]
            ).map { attempt in
                var attemptReader = SafeRowReader(attempt, columns: "outcome")
                return attemptReader.text(0)
            }
            let (result, audit) = try RepairRules.retry(
                id: id, before, attemptOutcomes: outcomes, deadline: deadline, note: note)
            try db.execute(
                sql: """
                    UPDATE outbox
                       SET state = 'pending', generation = generation + 1, attempts = 0, due_at = ?,
                           needs_reconcile = ?, lease_owner = NULL, lease_expires_at = NULL, finished_at = NULL,
                           deadline = ?, last_error = ?, updated_at = ?
                     WHERE id = ? AND state = ?
                    """,
                arguments: [
                    now, result.needsReconcile ? 1 : 0, result.deadline, RepairRules.retriedError(actor: actor), now,
                    id, stateName,
                ])
            guard db.changesCount == 1 else { throw RepairRules.changedWhileRetrying(id: id) }
            try Self.insertAudit(db, at: now, actor: actor, action: "retry", outboxID: id, detail: audit)
            return result
        }
    }

    // MARK: - Discard

    /// Discards a pending command nobody holds: it ends `discarded`, with the inbox outcome
    /// `discarded`, reason `operator`, message "discarded by operator". Races safely with workers:
    /// the change applies only while the row is still pending and unleased (the same
    /// precondition `record` uses for `.pendingUnleased`), inside one `BEGIN IMMEDIATE`
    /// transaction that also writes the `audit` row.
    ///
    /// Refused for commands in flight (a worker is sending it: wait, look again), finished ones,
    /// and, unless `force`, commands marked `needs_reconcile` (the last send may have reached
    /// Paywall: discarding locally would not undo it; queue a cancel or rollback instead).
    public func discard(id: Int64, actor: String, now: EpochMillis, force: Bool = false, note: String? = nil)
        throws -> DiscardResult
    {
        try repairWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT state, lease_owner, lease_expires_at, needs_reconcile FROM outbox WHERE id = ?",
                    arguments: [id])
            else { throw RepairRules.notFound(id: id) }
            var reader = SafeRowReader(row, columns: "state, lease_owner, lease_expires_at, needs_reconcile")
            let stateName = reader.text(0)
            let wasMarked = reader.integer(3) != 0
            if let refusal = RepairRules.discardRefusal(
                id: id, stateName: stateName, leaseOwner: reader.optionalText(1), needsReconcile: wasMarked, force: force)
            {
                throw refusal
            }
            // The same guarded update `record` applies for `.pendingUnleased`, then the outcome row.
            guard
                let found = try Row.fetchOne(
                    db,
                    sql: """
                        UPDATE outbox
                           SET state = 'discarded', finished_at = ?, needs_reconcile = 0,
                               last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                         WHERE id = ? AND state = 'pending' AND lease_owner IS NULL
                        RETURNING command_key, kind, generation
                        """, arguments: [now, RepairRules.discardedMessage, now, id])
            else { throw RepairRules.claimedWhileDiscarding(id: id) }
            var foundReader = SafeRowReader(found, columns: "command_key, kind, generation")
            let generation = foundReader.count(2, fallback: 1)
            try db.execute(
                sql: """
                    INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, reason, message,
                                       created_at)
                    VALUES (?, ?, ?, ?, 'outcome', 'discarded', ?, ?, ?)
                    """,
                arguments: [
                    id, found[0] as DatabaseValue, found[1] as DatabaseValue, generation, InboxReason.operator.rawValue,
                    RepairRules.discardedMessage, now,
                ])
            let inboxID = db.lastInsertedRowID
            try Self.insertAudit(
                db, at: now, actor: actor, action: "discard", outboxID: id,
                detail: RepairRules.discardAudit(
                    previousState: stateName, generation: generation, inboxID: inboxID, forced: force && wasMarked,
                    note: note))
            return DiscardResult(id: id, generation: generation, inboxID: inboxID)
        }
    }

    // MARK: - Purge

    /// Deletes finished commands older than `cutoff` with their attempt history, and their
    /// inbox rows only when `includeInbox` (consumers read the inbox by cursor and may not have
    /// reached them; ids are never reused either way). Deletes in batches of `batchSize`, each
    /// its own short transaction so workers are never held up; one `audit` row, written with the
    /// first batch and updated in the same transaction as every later one, always matches what
    /// has been deleted. `dryRun` only counts, in one read transaction. `onBatch` is called after
    /// each batch commits with the totals so far (for progress on a long purge).
    public func purge(
        finishedBefore cutoff: EpochMillis, includeInbox: Bool, dryRun: Bool, actor: String, now: EpochMillis,
        batchSize: Int = 500, onBatch: (@Sendable (PurgeResult) -> Void)? = nil
    ) throws -> PurgeResult {
        let kept = try read { db in
            try Int.fetchOne(db, sql: PurgeSQL.keptForFollowUps(cutoff: ":cutoff"), arguments: ["cutoff": cutoff]) ?? 0
        }
        if dryRun {
            return try read { db in
                let ids = try Int64.fetchAll(db, sql: PurgeSQL.eligible(cutoff: ":cutoff"), arguments: ["cutoff": cutoff])
                var attempts = 0
                var inbox = 0
                for chunk in ids.chunked(500) {
                    let marks = databaseQuestionMarks(count: chunk.count)
                    attempts +=
                        try Int.fetchOne(
                            db, sql: "SELECT count(*) FROM attempt WHERE outbox_id IN (\(marks))",
                            arguments: StatementArguments(chunk)) ?? 0
                    if includeInbox {
                        inbox +=
                            try Int.fetchOne(
                                db, sql: "SELECT count(*) FROM inbox WHERE outbox_id IN (\(marks))",
                                arguments: StatementArguments(chunk)) ?? 0
                    }
                }
                return PurgeResult(
                    cutoff: cutoff, commands: ids.count, attempts: attempts, inbox: inbox, keptForFollowUps: kept,
                    dryRun: true)
            }
        }
        var result = PurgeResult(
            cutoff: cutoff, commands: 0, attempts: 0, inbox: 0, keptForFollowUps: kept, dryRun: false)
        var auditID: Int64?
        while true {
            let done: Bool = try repairWrite { db in
                let ids = try Int64.fetchAll(
                    db, sql: PurgeSQL.eligible(cutoff: ":cutoff") + " ORDER BY o.id LIMIT :limit",
                    arguments: ["cutoff": cutoff, "limit": max(batchSize, 1)])
                if ids.isEmpty && auditID != nil { return true }
                let marks = databaseQuestionMarks(count: ids.count)
                if !ids.isEmpty {
                    try db.execute(
                        sql: "DELETE FROM attempt WHERE outbox_id IN (\(marks))", arguments: StatementArguments(ids))
                    result.attempts += db.changesCount
                    if includeInbox {
                        try db.execute(
                            sql: "DELETE FROM inbox WHERE outbox_id IN (\(marks))", arguments: StatementArguments(ids))
                        result.inbox += db.changesCount
                    }
                    try db.execute(
                        sql: "DELETE FROM payment_follow WHERE outbox_id IN (\(marks))", arguments: StatementArguments(ids))
                    try db.execute(
                        sql: "DELETE FROM outbox WHERE id IN (\(marks))", arguments: StatementArguments(ids))
                    result.commands += db.changesCount
                }
                let detail = RepairRules.purgeAudit(result, includeInbox: includeInbox)
                if let auditID {
                    try db.execute(
                        sql: "UPDATE audit SET detail = ? WHERE id = ?", arguments: [AuditValue.json(detail), auditID])
                } else {
                    auditID = try Self.insertAudit(
                        db, at: now, actor: actor, action: "purge", outboxID: nil, detail: detail)
                }
                return ids.count < max(batchSize, 1)
            }
            onBatch?(result)
            if done { break }
        }
        return result
    }

    // MARK: - Enqueue

    /// Queues a command like ``enqueue(_:)`` and, when it was inserted, writes an `enqueue`
    /// audit row in the same transaction (an operator queued it, not a producer).
    public func enqueue(_ command: NewCommand, actor: String, now: EpochMillis) throws -> EnqueueResult {
        try repairWrite { db in
            let inserted = try Self.insertUnlessKeyTaken {
                try Int64.fetchOne(
                    db,
                    sql: """
                        INSERT INTO outbox (command_key, kind, payload, sale_key, payment_request_id, not_before,
                                            deadline, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(?, ?))
                        ON CONFLICT (command_key) DO NOTHING
                        RETURNING id
                        """,
                    arguments: [
                        command.commandKey, command.kindName, command.payload, command.saleKey,
                        command.paymentRequestId, command.notBefore, command.deadline, command.createdAt, now,
                    ])
            }
            if let inserted {
                try Self.insertAudit(
                    db, at: now, actor: actor, action: "enqueue", outboxID: inserted,
                    detail: RepairRules.enqueueAudit(command))
                return .inserted(inserted)
            }
            guard
                let existing = try Int64.fetchOne(
                    db, sql: "SELECT id FROM outbox WHERE command_key = ?", arguments: [command.commandKey])
            else { throw OutboxStoreError(.sqlite, "insert of \(command.commandKey) neither inserted nor found a row") }
            return .alreadyQueued(existing)
        }
    }

    // MARK: - Migrate

    /// The `PRAGMA user_version` of the file at `path`, without migrating or judging it; nil
    /// when the file does not exist.
    public static func schemaVersion(atPath path: String, busyTimeoutSeconds: Double = 5) throws -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let config = ProductConnection.configuration(
            label: "outbox-version", busyTimeoutSeconds: busyTimeoutSeconds, readOnly: true)
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            return try queue.read(SchemaMigrator.currentVersion)
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
    }

    /// Brings the database at `path` (created when missing) to the latest schema inside one
    /// `BEGIN IMMEDIATE` transaction and, when it applied anything and the result has an
    /// `audit` table, records a `migrate` audit row in that same transaction. `dryRun` only
    /// reports what would be applied.
    public static func migrate(path: String, actor: String, now: EpochMillis, dryRun: Bool, busyTimeoutSeconds: Double = 10)
        throws -> MigrationResult
    {
        if dryRun {
            let found = try schemaVersion(atPath: path, busyTimeoutSeconds: busyTimeoutSeconds) ?? 0
            try SchemaMigrator.checkNotNewer(found)
            let pending = embeddedMigrations.map(\.version).filter { $0 > found }
            return MigrationResult(from: found, to: pending.last ?? found, applied: pending, dryRun: true)
        }
        let config = ProductConnection.configuration(label: "outbox-migrate", busyTimeoutSeconds: busyTimeoutSeconds)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            return try pool.writeWithoutTransaction { db in
                var result = MigrationResult(from: 0, to: 0, applied: [], dryRun: false)
                try db.inTransaction(.immediate) {
                    let found = try SchemaMigrator.currentVersion(db)
                    try SchemaMigrator.checkNotNewer(found)
                    result.from = found
                    for migration in embeddedMigrations where migration.version > found {
                        try db.execute(sql: migration.sql)
                        let now = try SchemaMigrator.currentVersion(db)
                        guard now == migration.version else {
                            throw OutboxStoreError(
                                .sqlite, "\(migration.file) left user_version at \(now), expected \(migration.version)")
                        }
                        result.applied.append(migration.version)
                    }
                    result.to = try SchemaMigrator.currentVersion(db)
                    if !result.applied.isEmpty, try db.tableExists("audit") {
                        try insertAudit(
                            db, at: now, actor: actor, action: "migrate", outboxID: nil,
                            detail: RepairRules.migrateAudit(result))
                    }
                    return .commit
                }
                return result
            }
        } catch {
            throw OutboxStoreError(wrapping: error)
        }
    }

    // MARK: - Operator reads

    /// Pending commands the worker rescheduled because they wait on something (their
    /// `last_error` starts with `waiting:`, e.g. "waiting: sale ..." or "waiting: rollback
    /// window ..."): how many, and the first `limit` by due time.
    public func waitingCommands(limit: Int = 10) throws -> (total: Int, commands: [OutboxCommand]) {
        try read { db in
            let total =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error LIKE 'waiting:%'")
                ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox
                     WHERE state = 'pending' AND last_error LIKE 'waiting:%' ORDER BY due_at, id LIMIT ?
                    """, arguments: [limit]
            ).map(OutboxCommand.init(row:))
            return (total, rows)
        }
    }

    /// Audit rows, newest first; only those about `outboxID` when given.
    public func auditEntries(outboxID: Int64? = nil, limit: Int = 50) throws -> [AuditRow] {
        try read { db in
            let sql =
                outboxID == nil
                ? "SELECT \(AuditRow.columns) FROM audit ORDER BY id DESC LIMIT ?"
                : "SELECT \(AuditRow.columns) FROM audit WHERE outbox_id = ? ORDER BY id DESC LIMIT ?"
            let arguments: StatementArguments = outboxID.map { [$0, limit] } ?? [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(AuditRow.init(row:))
        }
    }

    // MARK: - Helpers

    /// A write transaction whose `RepairError`s pass through unchanged.
    func repairWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try asOwnWrite {
            do {
                return try pool.write(body)
            } catch let error as RepairError {
                throw error
            } catch {
                throw OutboxStoreError(wrapping: error)
            }
        }
    }

    @discardableResult
    static func insertAudit(
        _ db: Database, at: EpochMillis, actor: String, action: String, outboxID: Int64?, detail: [String: AuditValue]
    ) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO audit (at, actor, action, outbox_id, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [at, actor, action, outboxID, AuditValue.json(detail)])
        return db.lastInsertedRowID
    }
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
