import Foundation
import GRDB
import OutboxModel

/// What a worker's `/metrics` reads from the database: the queue by state and kind, the oldest
/// due command and the reconcile backlog, from one statement over the partial indexes (never a
/// scan of finished history).
public struct QueueCensus: Sendable, Hashable {
    /// Commands in one state of one kind.
    public struct Group: Sendable, Hashable {
        /// `pending`, `in_flight`, `failed`, `expired` or `dead`.
        public var state: CommandState
        /// The kind as stored (a row of a kind this version does not know keeps its text).
        public var kind: String
        /// How many.
        public var count: Int

        /// A group.
        public init(state: CommandState, kind: String, count: Int) {
            self.state = state
            self.kind = kind
            self.count = count
        }
    }

    /// The states counted: the queue itself, and what ended badly and waits for an operator
    /// (`outbox_troubled`). Succeeded, revoked and discarded rows are history: counting them
    /// would read every row ever finished.
    public static let states: [CommandState] = [.pending, .inFlight, .failed, .expired, .dead]

    /// Non-empty groups only.
    public var groups: [Group]
    /// Since when the longest-waiting due pending command has been due (ms since the epoch):
    /// its `due_at`, or its `created_at` when it never had one. Nil when nothing is due.
    public var oldestDueSince: EpochMillis?
    /// Unfinished commands whose earlier send may have reached Paywall (`needs_reconcile`).
    public var needsReconcile: Int

    /// A census.
    public init(groups: [Group], oldestDueSince: EpochMillis?, needsReconcile: Int) {
        self.groups = groups
        self.oldestDueSince = oldestDueSince
        self.needsReconcile = needsReconcile
    }

    /// The count of `state` and `kind` (0 when absent).
    public func count(_ state: CommandState, _ kind: String) -> Int {
        groups.first { $0.state == state && $0.kind == kind }?.count ?? 0
    }
}

/// What readiness is judged on, read in one read transaction.
public struct ReadinessFacts: Sendable, Hashable {
    /// `PRAGMA user_version`.
    public var schemaVersion: Int
    /// The worker's own last heartbeat (ms since the epoch), nil before its first.
    public var heartbeatAt: EpochMillis?
    /// The state its last heartbeat said (`running`, `paused`, `stopping`, `stopped`).
    public var heartbeatState: String?

    /// Creates facts (the store reads them; tests make them).
    public init(schemaVersion: Int, heartbeatAt: EpochMillis?, heartbeatState: String?) {
        self.schemaVersion = schemaVersion
        self.heartbeatAt = heartbeatAt
        self.heartbeatState = heartbeatState
    }
}

extension OutboxStore {
    /// The queue census at `now` (see ``QueueCensus``): one compound statement, each part on its
    /// partial index (`outbox_due`, `outbox_leased`, `outbox_troubled`).
    public func queueCensus(now: EpochMillis) throws -> QueueCensus {
        try read { db in
            var census = QueueCensus(groups: [], oldestDueSince: nil, needsReconcile: 0)
            for row in try Row.fetchAll(db, sql: Self.censusSQL, arguments: ["now": now]) {
                let stateText: String = row[0]
                guard let state = CommandState(rawValue: stateText) else { continue }
                let kind: String = row[1] ?? ""
                census.groups.append(.init(state: state, kind: kind, count: row[2]))
                census.needsReconcile += row[3] ?? 0
                if let since: EpochMillis = row[4] {
                    census.oldestDueSince = min(census.oldestDueSince ?? since, since)
                }
            }
            return census
        }
    }

    static let censusSQL = """
        SELECT 'pending', kind, count(*), sum(needs_reconcile),
               min(CASE WHEN due_at <= :now THEN max(due_at, created_at) END)
          FROM outbox WHERE state = 'pending' GROUP BY kind
        UNION ALL
        SELECT 'in_flight', kind, count(*), sum(needs_reconcile), NULL
          FROM outbox WHERE state = 'in_flight' GROUP BY kind
        UNION ALL
        SELECT state, kind, count(*), 0, NULL
          FROM outbox WHERE \(troubledCondition) GROUP BY state, kind
        """

    /// The rows that ended badly (failed, expired, dead), in the very words of the WHERE of the
    /// partial index `outbox_troubled` (Schema/008): SQLite uses a partial index only for a query
    /// whose WHERE contains the index's condition as written, and `state IN (…)` is not those
    /// words (it scans the table). `MonitoringQueryTests` checks the plans.
    static let troubledCondition = "(state = 'failed' OR state = 'expired' OR state = 'dead')"

    /// The schema version and `worker`'s own heartbeat, in one read.
    public func readinessFacts(worker: String) throws -> ReadinessFacts {
        try read { db in
            let version = try SchemaMigrator.currentVersion(db)
            var facts = ReadinessFacts(schemaVersion: version, heartbeatAt: nil, heartbeatState: nil)
            if try db.tableExists("worker_status"),
                let row = try Row.fetchOne(
                    db, sql: "SELECT heartbeat_at, state FROM worker_status WHERE worker = ?", arguments: [worker])
            {
                facts.heartbeatAt = row[0]
                facts.heartbeatState = row[1]
            }
            return facts
        }
    }
}
