import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// The planning context of claimed commands, read for a whole claim at once (two statements,
/// not two or three per command), and their send marks in one statement.
extension PostgresStore {
    public func planningContext(for command: OutboxCommand) async throws -> PlanningContext {
        if command.kind?.role == .standalone { return PlanningContext() }
        let logger = logger
        return try await connection { connection in
            try await Self.planningContexts(for: [command], connection, logger: logger)[command.id] ?? PlanningContext()
        }
    }

    /// For each follow-up: its sale (by `sale_key`, else the first sale Paywall gave its
    /// PaymentRequestId). For each sale: its follow-ups. The related commands (naming the sale's
    /// key or its PaymentRequestId) in id order, itself left out. Standalone commands have none.
    /// Keys and PaymentRequestIds compare without case, as citext does (they are GUIDs: ASCII).
    static func planningContexts(for commands: [OutboxCommand], _ connection: PostgresConnection, logger: Logger)
        async throws -> [Int64: PlanningContext]
    {
        let planned = commands.filter { $0.kind?.role != .standalone }
        guard !planned.isEmpty else { return [:] }
        let followUps = planned.filter { $0.kind?.role != .sale }
        let saleKeys = followUps.compactMap(\.saleKey).map { $0.lowercased() }
        let saleIds = followUps.filter { $0.saleKey == nil }.compactMap(\.paymentRequestId).map { $0.lowercased() }
        var salesByKey: [String: OutboxCommand] = [:]
        var salesByPaymentRequest: [String: OutboxCommand] = [:]
        if !saleKeys.isEmpty || !saleIds.isEmpty {
            let sales = try await PostgresRows.commands(
                connection.query(
                    """
                    SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                     WHERE o.kind IN (SELECT name FROM command_kind WHERE role = 'sale')
                       AND (o.command_key = ANY(\(saleKeys)::citext[])
                            OR o.paywall_payment_request_id = ANY(\(saleIds)::citext[]))
                     ORDER BY o.id
                    """, logger: logger))
            for sale in sales {
                salesByKey[sale.commandKey.lowercased()] = sale
                if let id = sale.paywallPaymentRequestId?.lowercased(), salesByPaymentRequest[id] == nil {
                    salesByPaymentRequest[id] = sale
                }
            }
        }
        // What each command's related commands name: the sale's key, its PaymentRequestId.
        var names: [Int64: (sale: OutboxCommand?, key: String?, paymentRequestId: String?)] = [:]
        for command in planned {
            var sale: OutboxCommand?
            if command.kind?.role == .sale {
                sale = command
            } else if let key = command.saleKey {
                sale = salesByKey[key.lowercased()]
            } else if let id = command.paymentRequestId {
                sale = salesByPaymentRequest[id.lowercased()]
            }
            names[command.id] = (
                sale, (sale?.commandKey ?? command.saleKey)?.lowercased(),
                (sale?.paywallPaymentRequestId ?? command.paymentRequestId)?.lowercased()
            )
        }
        let keys = Array(Set(names.values.compactMap(\.key)))
        let ids = Array(Set(names.values.compactMap(\.paymentRequestId)))
        let candidates = try await PostgresRows.commands(
            connection.query(
                """
                SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o
                 WHERE o.sale_key = ANY(\(keys)::citext[]) OR o.payment_request_id = ANY(\(ids)::citext[])
                 ORDER BY o.id
                """, logger: logger))
        var contexts: [Int64: PlanningContext] = [:]
        for command in planned {
            guard let (sale, key, paymentRequestId) = names[command.id] else { continue }
            let related = candidates.filter { other in
                other.id != command.id
                    && ((key != nil && other.saleKey?.lowercased() == key)
                        || (paymentRequestId != nil && other.paymentRequestId?.lowercased() == paymentRequestId))
            }
            contexts[command.id] = PlanningContext(sale: command.kind?.role == .sale ? nil : sale, related: related)
        }
        return contexts
    }

    /// `context` as it reads once `marked` are marked at `now` (what a mark changes in a row).
    static func withMarks(_ context: PlanningContext, _ marked: Set<Int64>, at now: EpochMillis) -> PlanningContext {
        guard !marked.isEmpty else { return context }
        func apply(_ command: OutboxCommand) -> OutboxCommand {
            guard marked.contains(command.id) else { return command }
            var command = command
            command.needsReconcile = true
            command.updatedAt = now
            return command
        }
        return PlanningContext(sale: context.sale.map(apply), related: context.related.map(apply))
    }

    /// Marks `ids` as leaving (`needs_reconcile` and an open `sending` attempt each), those this
    /// owner still leases, in one statement; the ids marked.
    static func markAll(_ ids: [Int64], owner: String, now: EpochMillis, _ connection: PostgresConnection, logger: Logger)
        async throws -> Set<Int64>
    {
        guard !ids.isEmpty else { return [] }
        return Set(
            try await PostgresRows.all(
                connection.query(
                    """
                    WITH marked AS (
                        UPDATE outbox SET needs_reconcile = 1, updated_at = \(now)
                         WHERE id = ANY(\(ids)) AND state = 'in_flight' AND lease_owner = \(owner)
                        RETURNING id, generation
                    )
                    INSERT INTO attempt (outbox_id, generation, worker, started_at, outcome, error, request)
                    SELECT id, generation, \(owner), \(now), 'sending', 'request leaving; no answer recorded yet', 'send'
                      FROM marked
                    RETURNING outbox_id
                    """, logger: logger), Int64.self))
    }
}
