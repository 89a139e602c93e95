import Foundation
import GRDB
import OutboxModel

extension OutboxStore {
    /// One command by row id.
    public func command(id: Int64) throws -> OutboxCommand? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE id = ?", arguments: [id])
                .map(OutboxCommand.init(row:))
        }
    }

    /// Commands an operator may mean by `reference`: a row id, a command key (a sale's
    /// MerchantUniqueCode) or a PaymentRequestId, exact or as a unique-enough prefix.
    public func find(reference: String, limit: Int = 20) throws -> [OutboxCommand] {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return [] }
        return try read { db in
            if let id = Int64(text),
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE id = ?", arguments: [id])
            {
                return [OutboxCommand(row: row)]
            }
            let pattern = Self.likePrefix(text)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox
                     WHERE command_key LIKE ? ESCAPE '\\'
                        OR paywall_payment_request_id LIKE ? ESCAPE '\\'
                        OR payment_request_id LIKE ? ESCAPE '\\'
                     ORDER BY id LIMIT ?
                    """,
                arguments: [pattern, pattern, pattern, limit]
            ).map(OutboxCommand.init(row:))
        }
    }

    /// Commands matching `filter`, newest first.
    public func list(_ filter: CommandFilter) throws -> [OutboxCommand] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let states = filter.states {
            clauses.append("state IN (\(databaseQuestionMarks(count: states.count)))")
            arguments += StatementArguments(states.map(\.rawValue).sorted())
        }
        if let kinds = filter.kinds {
            clauses.append("kind IN (\(databaseQuestionMarks(count: kinds.count)))")
            arguments += StatementArguments(kinds.sorted())
        }
        if let terminal = filter.terminal {
            clauses.append("terminal = ?")
            arguments += [terminal]
        }
        if let from = filter.createdFrom {
            clauses.append("created_at >= ?")
            arguments += [from]
        }
        if let before = filter.createdBefore {
            clauses.append("created_at < ?")
            arguments += [before]
        }
        if let prefix = filter.keyPrefix {
            clauses.append("command_key LIKE ? ESCAPE '\\'")
            arguments += [Self.likePrefix(prefix)]
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [max(filter.limit, 0)]
        return try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(OutboxCommand.columns) FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            ).map(OutboxCommand.init(row:))
        }
    }

    /// A command with its attempts, inbox rows and related commands.
    public func detail(id: Int64) throws -> CommandDetail? {
        try read { db in
            guard
                let command = try Row.fetchOne(
                    db, sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE id = ?", arguments: [id]
                ).map(OutboxCommand.init(row:))
            else { return nil }
            let attempts = try Row.fetchAll(
                db, sql: "SELECT \(AttemptRow.columns) FROM attempt WHERE outbox_id = ? ORDER BY id", arguments: [id]
            ).map(AttemptRow.init(row:))
            let inbox = try Row.fetchAll(
                db, sql: "SELECT \(InboxRow.columns) FROM inbox WHERE outbox_id = ? ORDER BY id", arguments: [id]
            ).map(InboxRow.init(row:))
            return CommandDetail(
                command: command, attempts: attempts, inbox: inbox, related: try Self.related(to: command, db))
        }
    }

    /// The sale a follow-up acts on and that sale's follow-ups; for a sale, its follow-ups.
    public func related(to command: OutboxCommand) throws -> [OutboxCommand] {
        try read { db in try Self.related(to: command, db) }
    }

    static func related(to command: OutboxCommand, _ db: Database) throws -> [OutboxCommand] {
        var sale: OutboxCommand? = command.kind?.role == .sale ? command : nil
        if sale == nil, let key = command.saleKey {
            sale = try Row.fetchOne(
                db, sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE command_key = ?", arguments: [key]
            ).map(OutboxCommand.init(row:))
        }
        if sale == nil, let paymentRequestId = command.paymentRequestId {
            sale = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox
                     WHERE paywall_payment_request_id = ? AND kind IN (SELECT name FROM command_kind WHERE role = 'sale')
                     ORDER BY id LIMIT 1
                    """,
                arguments: [paymentRequestId]
            ).map(OutboxCommand.init(row:))
        }
        var followUps: [OutboxCommand] = []
        if let sale {
            followUps = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE sale_key = ?
                    UNION
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE payment_request_id = ?
                    ORDER BY id
                    """,
                arguments: [sale.commandKey, sale.paywallPaymentRequestId]
            ).map(OutboxCommand.init(row:))
        } else if let paymentRequestId = command.paymentRequestId {
            followUps = try Row.fetchAll(
                db, sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE payment_request_id = ? ORDER BY id",
                arguments: [paymentRequestId]
            ).map(OutboxCommand.init(row:))
        }
        return ([sale].compactMap { $0 } + followUps).filter { $0.id != command.id }
    }

    /// Inbox rows after `cursor`, in order: what a consumer reads ("everything after N").
    public func inbox(after cursor: Int64, limit: Int = 100) throws -> [InboxRow] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(InboxRow.columns) FROM inbox WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [cursor, limit]
            ).map(InboxRow.init(row:))
        }
    }

    /// Failed, expired and dead commands finished since the argument, by state: on the partial
    /// index `outbox_troubled` (`MonitoringQueryTests` checks the plan).
    static let recentTroubleSQL = """
        SELECT state, count(*) FROM outbox
         WHERE \(troubledCondition) AND finished_at >= ? GROUP BY state
        """

    /// The overview an operator sees first. `troubleSince` bounds "recent" failures.
    public func overview(now: EpochMillis, troubleSince: EpochMillis) throws -> QueueOverview {
        try read { db in
            let counts = try Row.fetchAll(
                db, sql: "SELECT state, kind, count(*) FROM outbox GROUP BY state, kind ORDER BY state, kind"
            ).compactMap { row -> QueueOverview.Count? in
                var reader = SafeRowReader(row, columns: "state, kind, count")
                guard let state = CommandState(rawValue: reader.text(0)) else { return nil }
                return QueueOverview.Count(state: state, kind: reader.text(1), count: reader.count(2))
            }
            let oldest = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE state IN ('pending', 'in_flight')
                     ORDER BY created_at, id LIMIT 1
                    """
            ).map(OutboxCommand.init(row:))
            let leases = try Row.fetchAll(
                db,
                sql: """
                    SELECT lease_owner, count(*), min(lease_expires_at) FROM outbox
                     WHERE state = 'in_flight' GROUP BY lease_owner ORDER BY lease_owner
                    """
            ).map { row in
                var reader = SafeRowReader(row, columns: "lease_owner, count, lease_expires_at")
                return QueueOverview.Lease(
                    owner: reader.optionalText(0) ?? "?", count: reader.count(1),
                    earliestExpiry: reader.optionalWorkerTime(2) ?? 0)
            }
            var trouble: [CommandState: Int] = [:]
            for row in try Row.fetchAll(db, sql: Self.recentTroubleSQL, arguments: [troubleSince]) {
                var reader = SafeRowReader(row, columns: "state, count")
                if let state = CommandState(rawValue: reader.text(0)) { trouble[state] = reader.count(1) }
            }
            let nextDue = try Row.fetchOne(
                db, sql: "SELECT min(due_at) FROM outbox WHERE state = 'pending' AND due_at > ?", arguments: [now]
            ).flatMap { row in
                var reader = SafeRowReader(row, columns: "due_at")
                return reader.optionalWorkerTime(0)
            }
            let dueNow =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM outbox WHERE state = 'pending' AND due_at <= ?", arguments: [now])
                ?? 0
            let reconcile =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'pending' AND needs_reconcile = 1")
                ?? 0
            return QueueOverview(
                counts: counts, oldestUnfinished: oldest, leases: leases, recentTrouble: trouble, nextDueAt: nextDue,
                dueNow: dueNow, awaitingReconcile: reconcile)
        }
    }

    /// `text%` for LIKE, with LIKE's wildcards escaped.
    public static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}
