import Foundation
import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// The operator's repairs (``OperatorStore``) over PostgreSQL. The rules are `RepairRules`, the
/// same as SQLite's; here each repair locks the command's row (`FOR UPDATE`) so a worker's claim
/// waits for it or is seen by it, and commits with `synchronous_commit = on` (the CLI's repairs
/// are flushed, as SQLite's run with `synchronous = FULL`). A repair that writes an inbox row
/// takes the inbox lock first, as every worker transaction does (see ``PostgresStore``).
extension PostgresStore {
    /// Runs a repair in one transaction; ``RepairError``s pass through unchanged.
    func repairTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        do {
            return try await client.withConnection { connection in
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query("SET LOCAL synchronous_commit = on", logger: logger)
                    return try await body(connection)
                }
            }
        } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? RepairError { throw refusal }
            throw OutboxStoreError.postgres(error)
        } catch let error as RepairError {
            throw error
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    /// Writes an `audit` row; returns its id.
    @discardableResult
    static func insertAudit(
        _ connection: PostgresConnection, at: EpochMillis, actor: String, action: String, outboxID: Int64?,
        detail: [String: AuditValue], logger: Logger
    ) async throws -> Int64 {
        try await PostgresRows.one(
            connection.query(
                """
                INSERT INTO audit (at, actor, action, outbox_id, detail)
                VALUES (\(at), \(actor), \(action), \(outboxID), \(AuditValue.json(detail)))
                RETURNING id
                """, logger: logger), Int64.self) ?? 0
    }

    public func retry(id: Int64, actor: String, now: EpochMillis, deadline: RetryDeadline, note: String?) async throws
        -> RetryResult
    {
        let logger = logger
        return try await repairTransaction { connection in
            var before: RepairRules.RetriedRow?
            for try await (state, generation, attempts, marked, lastError, oldDeadline) in try await connection.query(
                """
                SELECT state, generation, attempts, needs_reconcile, last_error, deadline
                  FROM outbox WHERE id = \(id) FOR UPDATE
                """, logger: logger
            ).decode((String, Int64, Int64, Int64, String?, Int64?).self) {
                before = RepairRules.RetriedRow(
                    stateName: state, generation: Int(generation), attempts: attempts, lastError: lastError,
                    deadline: oldDeadline, needsReconcile: marked != 0)
            }
            guard let before else { throw RepairRules.notFound(id: id) }
            if let refusal = RepairRules.retryRefusal(id: id, stateName: before.stateName) { throw refusal }
            let outcomes = try await Self.attemptOutcomes(
                commandID: id, generation: before.generation, connection, logger: logger)
            let (result, audit) = try RepairRules.retry(
                id: id, before, attemptOutcomes: outcomes, deadline: deadline, note: note)
            let changed = try await PostgresRows.one(
                connection.query(
                    """
                    UPDATE outbox
                       SET state = 'pending', generation = generation + 1, attempts = 0, due_at = \(now),
                           needs_reconcile = \(result.needsReconcile ? Int64(1) : 0), lease_owner = NULL,
                           lease_expires_at = NULL, finished_at = NULL, deadline = \(result.deadline),
                           last_error = \(RepairRules.retriedError(actor: actor)), updated_at = \(now)
                     WHERE id = \(id) AND state = \(before.stateName)
                    RETURNING id
                    """, logger: logger), Int64.self)
            guard changed != nil else { throw RepairRules.changedWhileRetrying(id: id) }
            try await Self.insertAudit(
                connection, at: now, actor: actor, action: "retry", outboxID: id, detail: audit, logger: logger)
            return result
        }
    }

    public func discard(id: Int64, actor: String, now: EpochMillis, force: Bool, note: String?) async throws
        -> DiscardResult
    {
        let logger = logger
        return try await repairTransaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            var found: (state: String, owner: String?, marked: Bool)?
            for try await (state, owner, marked) in try await connection.query(
                "SELECT state, lease_owner, needs_reconcile FROM outbox WHERE id = \(id) FOR UPDATE", logger: logger
            ).decode((String, String?, Int64).self) {
                found = (state, owner, marked != 0)
            }
            guard let found else { throw RepairRules.notFound(id: id) }
            if let refusal = RepairRules.discardRefusal(
                id: id, stateName: found.state, leaseOwner: found.owner, needsReconcile: found.marked, force: force)
            {
                throw refusal
            }
            var generation: Int64?
            for try await value in try await connection.query(
                """
                UPDATE outbox
                   SET state = 'discarded', finished_at = \(now), needs_reconcile = 0,
                       last_error = \(RepairRules.discardedMessage), lease_owner = NULL, lease_expires_at = NULL,
                       updated_at = \(now)
                 WHERE id = \(id) AND state = 'pending' AND lease_owner IS NULL
                RETURNING generation
                """, logger: logger
            ).decode(Int64.self) {
                generation = value
            }
            guard let generation else { throw RepairRules.claimedWhileDiscarding(id: id) }
            let inboxID =
                try await PostgresRows.one(
                    connection.query(
                        """
                        INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, reason, message,
                                           created_at)
                        SELECT id, command_key, kind, generation, 'outcome', 'discarded', \(InboxReason.operator.rawValue),
                               \(RepairRules.discardedMessage), \(now)
                          FROM outbox WHERE id = \(id)
                        RETURNING id
                        """, logger: logger), Int64.self) ?? 0
            try await Self.insertAudit(
                connection, at: now, actor: actor, action: "discard", outboxID: id,
                detail: RepairRules.discardAudit(
                    previousState: found.state, generation: Int(generation), inboxID: inboxID,
                    forced: force && found.marked, note: note),
                logger: logger)
            return DiscardResult(id: id, generation: Int(generation), inboxID: inboxID)
        }
    }

    /// The commands eligible for purging (``PurgeSQL/eligible(cutoff:)``), by id, at most `limit`.
    static func purgeEligible(cutoff: EpochMillis, limit: Int64?) -> PostgresQuery {
        var binds = PostgresBindings()
        binds.append(cutoff)
        binds.append(limit)
        return PostgresQuery(unsafeSQL: PurgeSQL.eligible(cutoff: "$1") + " ORDER BY o.id LIMIT $2", binds: binds)
    }

    public func purge(
        finishedBefore cutoff: EpochMillis, includeInbox: Bool, dryRun: Bool, actor: String, now: EpochMillis,
        batchSize: Int, onBatch: (@Sendable (PurgeResult) -> Void)?
    ) async throws -> PurgeResult {
        let logger = logger
        let kept: Int64 =
            try await connection { connection -> Int64? in
                var binds = PostgresBindings()
                binds.append(cutoff)
                return try await PostgresRows.one(
                    connection.query(
                        PostgresQuery(unsafeSQL: PurgeSQL.keptForFollowUps(cutoff: "$1"), binds: binds), logger: logger),
                    Int64.self)
            } ?? 0
        var result = PurgeResult(
            cutoff: cutoff, commands: 0, attempts: 0, inbox: 0, keptForFollowUps: Int(kept), dryRun: dryRun)
        if dryRun {
            return try await snapshot { connection in
                let ids = try await PostgresRows.all(
                    connection.query(Self.purgeEligible(cutoff: cutoff, limit: nil), logger: logger), Int64.self)
                result.commands = ids.count
                result.attempts = Int(
                    try await PostgresRows.one(
                        connection.query("SELECT count(*) FROM attempt WHERE outbox_id = ANY(\(ids))", logger: logger),
                        Int64.self) ?? 0)
                if includeInbox {
                    result.inbox = Int(
                        try await PostgresRows.one(
                            connection.query("SELECT count(*) FROM inbox WHERE outbox_id = ANY(\(ids))", logger: logger),
                            Int64.self) ?? 0)
                }
                return result
            }
        }
        let batch = Int64(max(batchSize, 1))
        var auditID: Int64?
        while true {
            let (done, after, audit) = try await repairTransaction { connection in
                var result = result
                var auditID = auditID
                let ids = try await PostgresRows.all(
                    connection.query(Self.purgeEligible(cutoff: cutoff, limit: batch), logger: logger), Int64.self)
                if ids.isEmpty && auditID != nil { return (true, result, auditID) }
                if !ids.isEmpty {
                    // The rows were read without a lock: delete only those still eligible. Under
                    // READ COMMITTED the DELETE waits for a row another transaction holds (an
                    // operator's retry) and checks the conditions again on what it committed.
                    var binds = PostgresBindings()
                    binds.append(cutoff)
                    binds.append(ids)
                    let deleted = try await PostgresRows.all(
                        connection.query(
                            PostgresQuery(
                                unsafeSQL: """
                                    DELETE FROM outbox AS o WHERE o.id = ANY($2) AND \(PurgeSQL.conditions(cutoff: "$1"))
                                    RETURNING o.id
                                    """, binds: binds), logger: logger), Int64.self)
                    result.commands += deleted.count
                    result.attempts += try await Self.deleteCount(
                        "DELETE FROM attempt WHERE outbox_id = ANY(\(deleted)) RETURNING 1", connection, logger: logger)
                    if includeInbox {
                        result.inbox += try await Self.deleteCount(
                            "DELETE FROM inbox WHERE outbox_id = ANY(\(deleted)) RETURNING 1", connection, logger: logger)
                    }
                    _ = try await Self.deleteCount(
                        "DELETE FROM payment_follow WHERE outbox_id = ANY(\(deleted)) RETURNING 1", connection,
                        logger: logger)
                }
                let detail = RepairRules.purgeAudit(result, includeInbox: includeInbox)
                if let auditID {
                    try await connection.query(
                        "UPDATE audit SET detail = \(AuditValue.json(detail)) WHERE id = \(auditID)", logger: logger)
                } else {
                    auditID = try await Self.insertAudit(
                        connection, at: now, actor: actor, action: "purge", outboxID: nil, detail: detail,
                        logger: logger)
                }
                return (Int64(ids.count) < batch, result, auditID)
            }
            result = after
            auditID = audit
            onBatch?(result)
            if done { break }
        }
        return result
    }

    /// How many rows a `DELETE … RETURNING 1` removed.
    static func deleteCount(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await PostgresRows.all(connection.query(query, logger: logger), Int32.self).count
    }

    public func enqueue(_ command: NewCommand, actor: String, now: EpochMillis) async throws -> EnqueueResult {
        let logger = logger
        do {
            let inserted: Int64? = try await repairTransaction { connection in
                let inserted = try await PostgresRows.one(
                    connection.query(
                        """
                        INSERT INTO outbox (command_key, kind, payload, sale_key, payment_request_id, not_before,
                                            deadline, created_at)
                        VALUES (\(command.commandKey), \(command.kindName), \(command.payload), \(command.saleKey),
                                \(command.paymentRequestId), \(command.notBefore), \(command.deadline),
                                coalesce(\(command.createdAt)::bigint, \(now)))
                        ON CONFLICT (command_key) DO NOTHING
                        RETURNING id
                        """, logger: logger), Int64.self)
                // Nothing inserted: the same command is already queued.
                guard let inserted else { return nil }
                try await Self.insertAudit(
                    connection, at: now, actor: actor, action: "enqueue", outboxID: inserted,
                    detail: RepairRules.enqueueAudit(command), logger: logger)
                return inserted
            }
            if let inserted { return .inserted(inserted) }
        } catch let error as OutboxStoreError
            where error.code == .rejected
            && error.message.hasPrefix("outbox: command_key is already queued for a different command")
        {
            // The schema refuses a different command under a taken key; as SQLite's store does,
            // answer with the row that holds it (the CLI then says what differs).
        }
        let existing = try await connection { connection in
            try await PostgresRows.one(
                connection.query(
                    "SELECT id FROM outbox WHERE command_key = \(command.commandKey)::citext", logger: logger), Int64.self)
        }
        guard let existing else {
            throw OutboxStoreError(.postgres, "insert of \(command.commandKey) neither inserted nor found a row")
        }
        return .alreadyQueued(existing)
    }
}
