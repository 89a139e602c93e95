import Foundation
import GRDB
import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// The operator's queries (``OperatorStore``) over PostgreSQL, answering as SQLite's store does:
/// the same columns read through the same column reader, the same orders (`COLLATE "C"` where
/// SQLite compares bytes), one snapshot per answer that reads several tables.
extension PostgresStore: OperatorStore {
    public func schemaVersion() async throws -> Int {
        let logger = logger
        return try await connection { connection in try await PostgresMigrator.currentVersion(connection, logger: logger) }
    }

    /// Runs `body` in one read-only REPEATABLE READ transaction: every statement sees one snapshot.
    func snapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        return try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            return try await body(connection)
        }
    }

    public func find(reference: String, limit: Int) async throws -> [OutboxCommand] {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return [] }
        if let id = Int64(text), let command = try await command(id: id) { return [command] }
        // citext's LIKE ignores case, as SQLite's does for these ASCII keys.
        let pattern = OutboxStore.likePrefix(text)
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.command_key LIKE \(pattern) ESCAPE '\\'
                        OR o.paywall_payment_request_id LIKE \(pattern) ESCAPE '\\'
                        OR o.payment_request_id LIKE \(pattern) ESCAPE '\\'
                     ORDER BY o.id LIMIT \(Int64(max(limit, 0)))
                    """, logger: logger))
        }
    }

    public func list(_ filter: CommandFilter) async throws -> [OutboxCommand] {
        let states = filter.states.map { $0.map(\.rawValue).sorted() }
        let kinds = filter.kinds.map { $0.sorted() }
        let pattern = filter.keyPrefix.map(OutboxStore.likePrefix)
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE (\(states)::text[] IS NULL OR o.state = ANY(\(states)::text[]))
                       AND (\(kinds)::text[] IS NULL OR o.kind = ANY(\(kinds)::text[]))
                       AND (\(filter.terminal)::text IS NULL OR o.terminal = \(filter.terminal)::text)
                       AND (\(filter.createdFrom)::bigint IS NULL OR o.created_at >= \(filter.createdFrom)::bigint)
                       AND (\(filter.createdBefore)::bigint IS NULL OR o.created_at < \(filter.createdBefore)::bigint)
                       AND (\(pattern)::text IS NULL OR o.command_key LIKE \(pattern)::text ESCAPE '\\')
                     ORDER BY o.id DESC LIMIT \(Int64(max(filter.limit, 0)))
                    """, logger: logger))
        }
    }

    public func detail(id: Int64) async throws -> CommandDetail? {
        let logger = logger
        return try await snapshot { connection in
            guard
                let command = try await PostgresRows.commands(
                    connection.query(
                        "SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o WHERE o.id = \(id)",
                        logger: logger)
                ).first
            else { return nil }
            let attempts = try await PostgresRows.stored(
                connection.query(
                    "SELECT \(unescaped: AttemptRow.columns) FROM attempt WHERE outbox_id = \(id) ORDER BY id",
                    logger: logger)
            ).map(AttemptRow.init(storedValues:))
            let inbox = try await PostgresRows.stored(
                connection.query(
                    "SELECT \(unescaped: InboxRow.columns) FROM inbox WHERE outbox_id = \(id) ORDER BY id", logger: logger)
            ).map(InboxRow.init(storedValues:))
            return CommandDetail(
                command: command, attempts: attempts, inbox: inbox,
                related: try await Self.related(to: command, connection, logger: logger))
        }
    }

    /// The sale a follow-up acts on and that sale's follow-ups; for a sale, its follow-ups (the
    /// rule of SQLite's `OutboxStore.related(to:)`).
    static func related(to command: OutboxCommand, _ connection: PostgresConnection, logger: Logger) async throws
        -> [OutboxCommand]
    {
        let columns = PostgresRows.commandColumns
        var sale: OutboxCommand? = command.kind?.role == .sale ? command : nil
        if sale == nil, let key = command.saleKey {
            sale = try await PostgresRows.commands(
                connection.query(
                    "SELECT \(unescaped: columns) FROM outbox AS o WHERE o.command_key = \(key)::citext", logger: logger)
            ).first
        }
        if sale == nil, let paymentRequestId = command.paymentRequestId {
            sale = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: columns) FROM outbox AS o
                     WHERE o.paywall_payment_request_id = \(paymentRequestId)::citext
                       AND o.kind IN (SELECT name FROM command_kind WHERE role = 'sale')
                     ORDER BY o.id LIMIT 1
                    """, logger: logger)
            ).first
        }
        var followUps: [OutboxCommand] = []
        if let sale {
            followUps = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: columns) FROM outbox AS o
                     WHERE o.sale_key = \(sale.commandKey)::citext
                        OR o.payment_request_id = \(sale.paywallPaymentRequestId)::citext
                     ORDER BY o.id
                    """, logger: logger))
        } else if let paymentRequestId = command.paymentRequestId {
            followUps = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: columns) FROM outbox AS o
                     WHERE o.payment_request_id = \(paymentRequestId)::citext ORDER BY o.id
                    """, logger: logger))
        }
        return ([sale].compactMap { $0 } + followUps).filter { $0.id != command.id }
    }

    public func inbox(after cursor: Int64, limit: Int) async throws -> [InboxRow] {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.stored(
                connection.query(
                    """
                    SELECT \(unescaped: InboxRow.columns) FROM inbox WHERE id > \(cursor) ORDER BY id
                     LIMIT \(Int64(max(limit, 0)))
                    """, logger: logger)
            ).map(InboxRow.init(storedValues:))
        }
    }

    public func overview(now: EpochMillis, troubleSince: EpochMillis) async throws -> QueueOverview {
        let logger = logger
        return try await snapshot { connection in
            var counts: [QueueOverview.Count] = []
            for try await (state, kind, count) in try await connection.query(
                """
                SELECT state, kind, count(*) FROM outbox GROUP BY state, kind
                 ORDER BY state COLLATE "C", kind COLLATE "C"
                """, logger: logger
            ).decode((String, String, Int64).self) {
                if let known = CommandState(rawValue: state) {
                    counts.append(QueueOverview.Count(state: known, kind: kind, count: Int(count)))
                }
            }
            let oldest = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.state IN ('pending', 'in_flight') ORDER BY o.created_at, o.id LIMIT 1
                    """, logger: logger)
            ).first
            var leases: [QueueOverview.Lease] = []
            for try await (owner, count, earliest) in try await connection.query(
                """
                SELECT lease_owner, count(*), min(lease_expires_at) FROM outbox
                 WHERE state = 'in_flight' GROUP BY lease_owner ORDER BY lease_owner COLLATE "C"
                """, logger: logger
            ).decode((String?, Int64, Int64?).self) {
                leases.append(QueueOverview.Lease(owner: owner ?? "?", count: Int(count), earliestExpiry: earliest ?? 0))
            }
            var trouble: [CommandState: Int] = [:]
            for try await (state, count) in try await connection.query(
                """
                SELECT state, count(*) FROM outbox
                 WHERE state IN ('failed', 'expired', 'dead') AND finished_at >= \(troubleSince) GROUP BY state
                """, logger: logger
            ).decode((String, Int64).self) {
                if let known = CommandState(rawValue: state) { trouble[known] = Int(count) }
            }
            let rows = try await connection.query(
                """
                SELECT (SELECT min(due_at) FROM outbox WHERE state = 'pending' AND due_at > \(now)),
                       (SELECT count(*) FROM outbox WHERE state = 'pending' AND due_at <= \(now)),
                       (SELECT count(*) FROM outbox WHERE state = 'pending' AND needs_reconcile = 1)
                """, logger: logger)
            var nextDue: Int64?
            var dueNow: Int64 = 0
            var reconcile: Int64 = 0
            for try await (next, due, marked) in rows.decode((Int64?, Int64, Int64).self) {
                (nextDue, dueNow, reconcile) = (next, due, marked)
            }
            return QueueOverview(
                counts: counts, oldestUnfinished: oldest, leases: leases, recentTrouble: trouble, nextDueAt: nextDue,
                dueNow: Int(dueNow), awaitingReconcile: Int(reconcile))
        }
    }

    public func waitingCommands(limit: Int) async throws -> (total: Int, commands: [OutboxCommand]) {
        let logger = logger
        return try await snapshot { connection in
            let total = try await PostgresRows.one(
                connection.query(
                    "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error LIKE 'waiting:%'",
                    logger: logger), Int64.self) ?? 0
            let commands = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.state = 'pending' AND o.last_error LIKE 'waiting:%' ORDER BY o.due_at, o.id
                     LIMIT \(Int64(max(limit, 0)))
                    """, logger: logger))
            return (Int(total), commands)
        }
    }

    public func auditEntries(outboxID: Int64?, limit: Int) async throws -> [AuditRow] {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.stored(
                connection.query(
                    """
                    SELECT \(unescaped: AuditRow.columns) FROM audit
                     WHERE \(outboxID)::bigint IS NULL OR outbox_id = \(outboxID)::bigint
                     ORDER BY id DESC LIMIT \(Int64(max(limit, 0)))
                    """, logger: logger)
            ).map(AuditRow.init(storedValues:))
        }
    }

    public func workerStatuses() async throws -> [WorkerStatusRow] {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.stored(
                connection.query(
                    "SELECT \(unescaped: WorkerStatusRow.columns) FROM worker_status ORDER BY worker COLLATE \"C\"",
                    logger: logger)
            ).map(WorkerStatusRow.init(storedValues:))
        }
    }

    public func listFollowSnapshot(afterInbox cursor: Int64?, limit: Int) async throws -> ListFollowSnapshot {
        let logger = logger
        return try await snapshot { connection in
            let unfinished = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.state IN ('pending', 'in_flight') ORDER BY o.id
                    """, logger: logger))
            guard let cursor else {
                let newest = try await PostgresRows.one(
                    connection.query("SELECT coalesce(max(id), 0)::bigint FROM inbox", logger: logger), Int64.self)
                return ListFollowSnapshot(unfinished: unfinished, finished: [], inboxCursor: newest ?? 0)
            }
            // Every inbox row after the cursor, in order (payment status events move the cursor
            // and are not shown).
            var rows: [(id: Int64, outboxID: Int64, event: String, outcome: String?, reason: String?)] = []
            for try await row in try await connection.query(
                """
                SELECT id, outbox_id, event, outcome, reason FROM inbox WHERE id > \(cursor) ORDER BY id
                 LIMIT \(Int64(max(limit, 1)))
                """, logger: logger
            ).decode((Int64, Int64, String, String?, String?).self) {
                rows.append(row)
            }
            let outcomes = rows.filter { $0.event == "outcome" }
            let commands = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.id = ANY(\(outcomes.map(\.outboxID)))
                    """, logger: logger))
            let byID = Dictionary(commands.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            // A purged command's outcome has no row left to show.
            let finished = outcomes.compactMap { row in
                byID[row.outboxID].map {
                    FinishedCommand(inboxID: row.id, outcome: row.outcome ?? "", reason: row.reason, command: $0)
                }
            }
            return ListFollowSnapshot(
                unfinished: unfinished, finished: finished, inboxCursor: max(rows.last?.id ?? cursor, cursor))
        }
    }

    public func repairCandidates(_ selection: RepairSelection) async throws -> [OutboxCommand] {
        guard !selection.states.isEmpty else { return [] }
        let states = selection.states.map(\.rawValue).sorted()
        let kinds = selection.kinds.map { $0.sorted() }
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.state = ANY(\(states)::text[])
                       AND (\(kinds)::text[] IS NULL OR o.kind = ANY(\(kinds)::text[]))
                       AND (\(selection.terminal)::text IS NULL OR o.terminal = \(selection.terminal)::text)
                       AND (\(selection.createdBefore)::bigint IS NULL OR o.created_at < \(selection.createdBefore)::bigint)
                       AND (\(selection.reason)::text IS NULL
                            OR (o.state IN ('pending', 'in_flight')
                                AND strpos(lower(coalesce(o.last_error, '')), lower(\(selection.reason)::text)) > 0)
                            OR (o.state NOT IN ('pending', 'in_flight')
                                AND EXISTS (SELECT 1 FROM inbox AS i
                                             WHERE i.outbox_id = o.id AND i.generation = o.generation
                                               AND i.event = 'outcome' AND i.reason = \(selection.reason)::text)))
                     ORDER BY o.id
                    """, logger: logger))
        }
    }

    public func attemptOutcomes(of command: OutboxCommand) async throws -> [String] {
        let logger = logger
        return try await connection { connection in
            try await Self.attemptOutcomes(commandID: command.id, generation: command.generation, connection, logger: logger)
        }
    }

    /// The `attempt.outcome` values of one generation, oldest first.
    static func attemptOutcomes(commandID: Int64, generation: Int, _ connection: PostgresConnection, logger: Logger)
        async throws -> [String]
    {
        try await PostgresRows.all(
            connection.query(
                """
                SELECT outcome FROM attempt WHERE outbox_id = \(commandID) AND generation = \(Int64(generation))
                 ORDER BY id
                """, logger: logger), String.self)
    }
}
