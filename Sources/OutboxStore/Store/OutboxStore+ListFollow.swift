import Foundation
import GRDB
import OutboxModel

/// One poll of `outbox inspect list --follow`: the unfinished commands as they are now, and the
/// outcomes recorded since the last poll, read in one snapshot.
public struct ListFollowSnapshot: Sendable {
    /// Pending and in-flight commands, by id.
    public var unfinished: [OutboxCommand]
    /// Outcomes written after the cursor, oldest first.
    public var finished: [FinishedCommand]
    /// The inbox id to pass next time.
    public var inboxCursor: Int64

    /// Creates a snapshot (the store makes them; tests too).
    public init(unfinished: [OutboxCommand], finished: [FinishedCommand], inboxCursor: Int64) {
        self.unfinished = unfinished
        self.finished = finished
        self.inboxCursor = inboxCursor
    }
}

/// An outcome row of the inbox with the command it belongs to.
public struct FinishedCommand: Sendable {
    /// The inbox row id.
    public var inboxID: Int64
    /// `succeeded`, `failed`, `expired`, `revoked`, `dead` or `discarded`.
    public var outcome: String
    /// The inbox reason, if any.
    public var reason: String?
    /// The command as it is now.
    public var command: OutboxCommand

    /// Creates a row (the store makes them; tests too).
    public init(inboxID: Int64, outcome: String, reason: String?, command: OutboxCommand) {
        self.inboxID = inboxID
        self.outcome = outcome
        self.reason = reason
        self.command = command
    }
}

extension OutboxStore {
    /// One poll for `inspect list --follow`: unfinished commands, and outcomes after `cursor`
    /// (at most `limit`; nil: none, the cursor starts at the newest inbox row). Every part reads
    /// an index: the partial indexes of pending and leased rows, the inbox by id.
    public func listFollowSnapshot(afterInbox cursor: Int64?, limit: Int = 1_000) throws -> ListFollowSnapshot {
        try read { db in
            let unfinished = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE state = 'pending'
                    UNION ALL
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE state = 'in_flight'
                    """
            ).map(OutboxCommand.init(row:)).sorted { $0.id < $1.id }
            guard let cursor else {
                let newest = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM inbox") ?? 0
                return ListFollowSnapshot(unfinished: unfinished, finished: [], inboxCursor: newest)
            }
            // Every inbox row after the cursor, in order (payment status events move the cursor
            // and are not shown).
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, outbox_id, event, outcome, reason FROM inbox WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [cursor, max(limit, 1)])
            let last: Int64 = rows.last?[0] ?? cursor
            let outcomes = rows.filter { ($0[2] as String?) == "outcome" }
            let ids = outcomes.map { $0[1] as Int64 }
            var commands: [Int64: OutboxCommand] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE id IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(chunk))
                {
                    let command = OutboxCommand(row: row)
                    commands[command.id] = command
                }
            }
            let finished = outcomes.compactMap { row -> FinishedCommand? in
                // A purged command's outcome has no row left to show.
                guard let command = commands[row[1] as Int64] else { return nil }
                return FinishedCommand(inboxID: row[0], outcome: row[3] ?? "", reason: row[4], command: command)
            }
            return ListFollowSnapshot(unfinished: unfinished, finished: finished, inboxCursor: max(last, cursor))
        }
    }
}
