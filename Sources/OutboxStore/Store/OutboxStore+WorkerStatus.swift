import GRDB
import OutboxModel

/// One row of the `worker_status` table (written by workers; read here for operators).
public struct WorkerStatusRow: Sendable, Hashable {
    /// What an operator should believe about a worker.
    public enum Liveness: String, Sendable, Hashable, Codable {
        /// Heartbeat fresh, dispatching.
        case running
        /// Heartbeat fresh, dispatch paused (see `pauseReason`).
        case paused
        /// Heartbeat fresh, shutting down.
        case stopping
        /// It said it stopped.
        case stopped
        /// No heartbeat for longer than the staleness limit: it died or hangs.
        case gone
    }

    /// The worker's id (also its `lease_owner`).
    public var worker: String
    /// When it started.
    public var startedAt: EpochMillis
    /// Its last heartbeat.
    public var heartbeatAt: EpochMillis
    /// running | paused | stopping | stopped, as it last wrote.
    public var state: String
    /// Why dispatch is paused.
    public var pauseReason: String?
    /// Since when.
    public var pausedSince: EpochMillis?
    /// When a paused worker tries Paywall again.
    public var nextProbeAt: EpochMillis?
    /// Commands it is sending.
    public var inFlight: Int
    /// Its last WAL checkpoint.
    public var checkpointAt: EpochMillis?
    /// The WAL size in pages at that checkpoint.
    public var walPages: Int?
    /// The `-wal` file's size in bytes at its last heartbeat (schema 5).
    public var walBytes: Int64? = nil
    /// The database file's size in bytes at its last heartbeat (schema 5).
    public var databaseBytes: Int64? = nil
    /// What about storage needs an operator, while it lasts (schema 5).
    public var storageProblem: String? = nil

    /// How often a running worker writes its heartbeat (ms).
    public static let heartbeatIntervalMillis: Int64 = 2_000

    /// A heartbeat older than this (10 s: five heartbeats missed) means the worker is gone: it
    /// died, was killed, or its loop hangs. The default of `outbox inspect --stale-after`.
    public static let staleAfterMillis: Int64 = 5 * heartbeatIntervalMillis

    /// The state to show at `now`: `gone` when the heartbeat is stale (unless it said it stopped).
    public func liveness(now: EpochMillis, staleAfter: Int64 = staleAfterMillis) -> Liveness {
        let said = Liveness(rawValue: state) ?? .running
        if said == .stopped { return .stopped }
        return now - heartbeatAt > staleAfter ? .gone : said
    }
}

extension WorkerStatusRow: SafelyReadRow {
    /// The `worker_status` columns every engine selects, in this order.
    public static let columns = """
        worker, started_at, heartbeat_at, state, pause_reason, paused_since, next_probe_at, \
        in_flight, checkpoint_at, wal_pages, wal_bytes, db_bytes, storage_problem
        """

    /// Reads the values of ``columns`` (a SQLite row's, or as another engine stored them); never traps.
    public init(storedValues: [DatabaseValue]) {
        self.init(values: storedValues)
    }

    init(reading reader: SafeRowReader) {
        var reader = reader
        let small: (Int64?) -> Int? = { $0.flatMap { Int(exactly: $0) } }
        worker = reader.text(0)
        startedAt = reader.optionalWorkerTime(1) ?? 0
        heartbeatAt = reader.optionalWorkerTime(2) ?? 0
        state = reader.text(3)
        pauseReason = reader.optionalText(4)
        pausedSince = reader.optionalWorkerTime(5)
        nextProbeAt = reader.optionalWorkerTime(6)
        inFlight = reader.count(7)
        checkpointAt = reader.optionalWorkerTime(8)
        walPages = small(reader.optionalInteger(9))
        walBytes = reader.optionalInteger(10)
        databaseBytes = reader.optionalInteger(11)
        storageProblem = reader.optionalText(12)
    }
}

extension OutboxStore {
    /// Every worker's status row, by worker id. Empty when no worker has written one (or the
    /// table does not exist yet).
    public func workerStatuses() throws -> [WorkerStatusRow] {
        try read { db in
            guard try db.tableExists("worker_status") else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT \(WorkerStatusRow.columns) FROM worker_status ORDER BY worker"
            ).map(WorkerStatusRow.init(row:))
        }
    }
}
