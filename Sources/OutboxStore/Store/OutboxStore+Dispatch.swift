import GRDB
import OutboxModel

/// What a worker reports about itself in `worker_status`.
public struct WorkerHeartbeat: Sendable, Hashable {
    /// running | paused | stopping | stopped
    public var state: String
    public var startedAt: EpochMillis
    public var pauseReason: String?
    public var pausedSince: EpochMillis?
    public var nextProbeAt: EpochMillis?
    public var inFlight: Int
    public var checkpointAt: EpochMillis?
    public var walPages: Int?
    /// The `-wal` file's size in bytes, as last measured (schema 5).
    public var walBytes: Int64?
    /// The database file's size in bytes, as last measured (schema 5).
    public var databaseBytes: Int64?
    /// What about storage needs an operator now (a WAL above its warning threshold for more
    /// than a minute, failing writes); nil clears it (schema 5).
    public var storageProblem: String?

    /// Creates a heartbeat.
    public init(
        state: String, startedAt: EpochMillis, pauseReason: String? = nil, pausedSince: EpochMillis? = nil,
        nextProbeAt: EpochMillis? = nil, inFlight: Int = 0, checkpointAt: EpochMillis? = nil, walPages: Int? = nil,
        walBytes: Int64? = nil, databaseBytes: Int64? = nil, storageProblem: String? = nil
    ) {
        self.state = state
        self.startedAt = startedAt
        self.pauseReason = pauseReason
        self.pausedSince = pausedSince
        self.nextProbeAt = nextProbeAt
        self.inFlight = inFlight
        self.checkpointAt = checkpointAt
        self.walPages = walPages
        self.walBytes = walBytes
        self.databaseBytes = databaseBytes
        self.storageProblem = storageProblem
    }
}

extension OutboxStore {
    /// For a follow-up: its sale in this outbox (by `sale_key`, or by the PaymentRequestId
    /// Paywall gave a local sale). For a sale: its unfinished follow-ups. For a cancel
    /// rollback: also the cancels of the same payment. Read in one transaction.
    public func planningContext(for command: OutboxCommand) throws -> PlanningContext {
        // Standalone commands (pairing, approvals) relate to no sale: no read at all.
        if command.kind?.role == .standalone { return PlanningContext() }
        return try read { db in try Self.planningContext(for: command, db) }
    }

    static func planningContext(for command: OutboxCommand, _ db: Database) throws -> PlanningContext {
        if command.kind?.role == .standalone { return PlanningContext() }
        // Cached statements: this runs for every claimed command, and preparing the UNION below
        // cost more than running it.
        let saleRole = "kind IN (SELECT name FROM command_kind WHERE role = 'sale')"
        var sale: OutboxCommand?
        if command.kind?.role == .sale {
            sale = command
        } else if let key = command.saleKey {
            sale = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE command_key = ? AND \(saleRole)"),
                arguments: [key]
            ).map(OutboxCommand.init(row:))
        } else if let paymentRequestId = command.paymentRequestId {
            sale = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT \(OutboxCommand.columns) FROM outbox
                         WHERE paywall_payment_request_id = ? AND \(saleRole) ORDER BY id LIMIT 1
                        """),
                arguments: [paymentRequestId]
            ).map(OutboxCommand.init(row:))
        }
        let saleKey = sale?.commandKey ?? command.saleKey
        let paymentRequestId = sale?.paywallPaymentRequestId ?? command.paymentRequestId
        let related = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE sale_key = ?
                    UNION
                    SELECT \(OutboxCommand.columns) FROM outbox WHERE payment_request_id = ?
                    ORDER BY id
                    """),
            arguments: [saleKey, paymentRequestId]
        ).map(OutboxCommand.init(row:)).filter { $0.id != command.id }
        return PlanningContext(sale: command.kind?.role == .sale ? nil : sale, related: related)
    }

    /// Writes this worker's row in `worker_status`.
    public func heartbeat(worker: String, _ beat: WorkerHeartbeat, now: EpochMillis) throws {
        try write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO worker_status (worker, started_at, heartbeat_at, state, pause_reason, paused_since,
                                               next_probe_at, in_flight, checkpoint_at, wal_pages, wal_bytes,
                                               db_bytes, storage_problem)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (worker) DO UPDATE SET
                        heartbeat_at = excluded.heartbeat_at, state = excluded.state,
                        pause_reason = excluded.pause_reason, paused_since = excluded.paused_since,
                        next_probe_at = excluded.next_probe_at, in_flight = excluded.in_flight,
                        checkpoint_at = coalesce(excluded.checkpoint_at, checkpoint_at),
                        wal_pages = coalesce(excluded.wal_pages, wal_pages),
                        wal_bytes = coalesce(excluded.wal_bytes, wal_bytes),
                        db_bytes = coalesce(excluded.db_bytes, db_bytes),
                        storage_problem = excluded.storage_problem
                    """
            ).execute(
                arguments: [
                    worker, beat.startedAt, now, beat.state, beat.pauseReason, beat.pausedSince, beat.nextProbeAt,
                    beat.inFlight, beat.checkpointAt, beat.walPages, beat.walBytes, beat.databaseBytes,
                    beat.storageProblem,
                ])
        }
    }

    /// The earliest `due_at` of a pending command, if any.
    public func nextDueAt() throws -> EpochMillis? {
        try read { db in try EpochMillis.fetchOne(db, sql: "SELECT min(due_at) FROM outbox WHERE state = 'pending'") }
    }
}
