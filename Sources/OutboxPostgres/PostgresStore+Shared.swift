import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// What workers share (holds, the pause, clock steps, heartbeats) and what monitoring reads.
extension PostgresStore {
    public func setHold(credentials: String, until: EpochMillis, reason: String, by worker: String, now: EpochMillis)
        async throws
    {
        let logger = logger
        try await connection { connection in
            try await connection.query(
                """
                INSERT INTO paywall_hold (credentials, until, reason, set_at, set_by)
                VALUES (\(credentials), \(until), \(reason), \(now), \(worker))
                ON CONFLICT (credentials) DO UPDATE
                   SET until = excluded.until, reason = excluded.reason, set_at = excluded.set_at, set_by = excluded.set_by
                 WHERE excluded.until > paywall_hold.until
                """, logger: logger)
        }
    }

    public func sharedDispatch(now: EpochMillis, maxHoldMillis: Int64) async throws
        -> (holds: [String: EpochMillis], pause: PublishedPause?)
    {
        let logger = logger
        return try await connection { connection in
            // One statement: one snapshot of both tables.
            let rows = try await connection.query(
                """
                SELECT 'hold', credentials, least(until, \(now) + \(maxHoldMillis)), NULL::bigint, NULL::text
                  FROM paywall_hold WHERE until > \(now)
                UNION ALL
                SELECT 'pause', reason, since, probe_at, set_by FROM paywall_pause
                """, logger: logger)
            var holds: [String: EpochMillis] = [:]
            var pause: PublishedPause?
            for try await (what, name, at, probeAt, setBy) in rows.decode((String, String, Int64, Int64?, String?).self) {
                if what == "hold" {
                    holds[name] = at
                } else if let probeAt {
                    pause = PublishedPause(reason: name, since: at, probeAt: probeAt, setBy: setBy)
                }
            }
            return (holds, pause)
        }
    }

    public func publishPause(_ pause: PublishedPause, by worker: String, now: EpochMillis) async throws {
        let logger = logger
        try await connection { connection in
            try await connection.query(
                """
                INSERT INTO paywall_pause (scope, reason, since, probe_at, set_at, set_by)
                VALUES ('paywall', \(pause.reason), \(pause.since), \(pause.probeAt), \(now), \(worker))
                ON CONFLICT (scope) DO UPDATE
                   SET reason = excluded.reason, since = least(paywall_pause.since, excluded.since),
                       probe_at = excluded.probe_at, set_at = excluded.set_at, set_by = excluded.set_by
                """, logger: logger)
        }
    }

    public func clearPause(answeredAt: EpochMillis) async throws -> Bool {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.one(
                connection.query(
                    "DELETE FROM paywall_pause WHERE set_at <= \(answeredAt) RETURNING 1::bigint", logger: logger),
                Int64.self) != nil
        }
    }

    public func shiftSchedules(backBy millis: Int64, now: EpochMillis, by worker: String?) async throws -> Int {
        guard millis > 0 else { return 0 }
        let logger = logger
        return try await transaction { connection in
            // Several workers notice the same step: the first one to get here applies it (the
            // table lock orders them; the second sees the first's row).
            try await connection.query("LOCK TABLE clock_shift IN EXCLUSIVE MODE", logger: logger)
            let applied = try await PostgresRows.one(
                connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM clock_shift
                                    WHERE applied_at BETWEEN \(now - 10_000) AND \(now + 10_000) AND abs(step_ms - \(millis)) < 1000)
                    """, logger: logger), Bool.self) ?? false
            if applied { return 0 }
            try await connection.query(
                "INSERT INTO clock_shift (step_ms, applied_at, applied_by) VALUES (\(millis), \(now), \(worker))",
                logger: logger)
            try await connection.query("DELETE FROM clock_shift WHERE applied_at < \(now - 86_400_000)", logger: logger)
            let moved = try await PostgresRows.all(
                connection.query(
                    """
                    UPDATE outbox SET due_at = greatest(\(now), due_at - \(millis))
                     WHERE state = 'pending' AND due_at > \(now) RETURNING id
                    """, logger: logger), Int64.self
            ).count
            try await connection.query(
                "UPDATE paywall_hold SET until = greatest(\(now), until - \(millis)) WHERE until > \(now)", logger: logger)
            try await connection.query(
                "UPDATE paywall_pause SET probe_at = greatest(\(now), probe_at - \(millis)) WHERE probe_at > \(now)",
                logger: logger)
            try await connection.query(
                """
                UPDATE payment_follow SET next_poll_at = greatest(\(now), next_poll_at - \(millis)), horizon_at = horizon_at - \(millis)
                 WHERE state = 'following'
                """, logger: logger)
            return moved
        }
    }

    public func heartbeat(worker: String, _ beat: WorkerHeartbeat, now: EpochMillis) async throws {
        let logger = logger
        try await connection { connection in
            try await connection.query(
                """
                INSERT INTO worker_status (worker, started_at, heartbeat_at, state, pause_reason, paused_since,
                                           next_probe_at, in_flight, checkpoint_at, wal_pages, wal_bytes, db_bytes,
                                           storage_problem)
                VALUES (\(worker), \(beat.startedAt), \(now), \(beat.state), \(beat.pauseReason), \(beat.pausedSince),
                        \(beat.nextProbeAt), \(Int64(beat.inFlight)), \(beat.checkpointAt), \(beat.walPages.map(Int64.init)),
                        \(beat.walBytes), \(beat.databaseBytes), \(beat.storageProblem))
                ON CONFLICT (worker) DO UPDATE SET
                    heartbeat_at = excluded.heartbeat_at, state = excluded.state,
                    pause_reason = excluded.pause_reason, paused_since = excluded.paused_since,
                    next_probe_at = excluded.next_probe_at, in_flight = excluded.in_flight,
                    checkpoint_at = coalesce(excluded.checkpoint_at, worker_status.checkpoint_at),
                    wal_pages = coalesce(excluded.wal_pages, worker_status.wal_pages),
                    wal_bytes = coalesce(excluded.wal_bytes, worker_status.wal_bytes),
                    db_bytes = coalesce(excluded.db_bytes, worker_status.db_bytes),
                    storage_problem = excluded.storage_problem
                """, logger: logger)
        }
    }

    public func queueCensus(now: EpochMillis) async throws -> QueueCensus {
        let logger = logger
        return try await connection { connection in
            let rows = try await connection.query(
                """
                SELECT 'pending', kind, count(*), sum(needs_reconcile)::bigint,
                       min(CASE WHEN due_at <= \(now) THEN greatest(due_at, created_at) END)
                  FROM outbox WHERE state = 'pending' GROUP BY kind
                UNION ALL
                SELECT 'in_flight', kind, count(*), sum(needs_reconcile)::bigint, NULL
                  FROM outbox WHERE state = 'in_flight' GROUP BY kind
                UNION ALL
                SELECT state, kind, count(*), 0::bigint, NULL
                  FROM outbox WHERE state IN ('failed', 'expired', 'dead') GROUP BY state, kind
                """, logger: logger)
            var census = QueueCensus(groups: [], oldestDueSince: nil, needsReconcile: 0)
            for try await (stateName, kind, count, reconcile, since) in rows.decode(
                (String, String, Int64, Int64?, Int64?).self)
            {
                guard let state = CommandState(rawValue: stateName) else { continue }
                census.groups.append(.init(state: state, kind: kind, count: Int(count)))
                census.needsReconcile += Int(reconcile ?? 0)
                if let since { census.oldestDueSince = min(census.oldestDueSince ?? since, since) }
            }
            return census
        }
    }

    public func readinessFacts(worker: String) async throws -> ReadinessFacts {
        let logger = logger
        return try await connection { connection in
            let version = try await PostgresMigrator.currentVersion(connection, logger: logger)
            var facts = ReadinessFacts(schemaVersion: version, heartbeatAt: nil, heartbeatState: nil)
            let rows = try await connection.query(
                "SELECT heartbeat_at, state FROM worker_status WHERE worker = \(worker)", logger: logger)
            for try await (at, state) in rows.decode((Int64, String).self) {
                facts.heartbeatAt = at
                facts.heartbeatState = state
            }
            return facts
        }
    }
}
