import Logging
import OutboxModel
import OutboxStore
import PostgresNIO

/// The store contract over PostgreSQL (`Schema/postgres/`): one outbox that workers on several
/// machines drain together.
///
/// - **Claims** lock the due rows with `FOR UPDATE SKIP LOCKED`: concurrent claimers never wait
///   for each other and never get the same command.
/// - **The inbox cursor never skips a row.** PostgreSQL hands out identity values when a row is
///   inserted but makes it visible when its transaction commits, so ids can become visible out
///   of order, and a reader at `id > 41` could pass a 41 committed late. Every transaction that
///   writes inbox rows first takes one transaction-scoped advisory lock
///   (``inboxLock``), held to its COMMIT: inbox rows are inserted and committed one transaction at
///   a time, so they become visible in id order, as in SQLite. Taken before any row is touched,
///   so the lock order is always the same (no deadlock with the row locks).
/// - **Times** are the `now` the worker passes, from its clock: give the worker a
///   ``PostgresServerClock`` and every machine's leases, holds and deadlines are read on the
///   database server's clock.
/// - The producer refusals are the schema's (constraints, triggers, roles).
///
/// Needs ``run()`` running (the connection pool's background work) while it is used.
public final class PostgresStore: WorkerStore {
    /// The pool.
    public let client: PostgresClient
    let logger: Logger
    /// What `location` says in logs (no secret).
    public let location: String

    /// The advisory lock every inbox-writing transaction takes first, (classid, objid).
    static let inboxLock: (Int32, Int32) = (1869963897, 1)

    /// A store over `client` (whose ``run()`` the caller runs). `location` names it in logs.
    public init(client: PostgresClient, location: String, logger: Logger) {
        self.client = client
        self.location = location
        self.logger = logger
    }

    /// Runs the connection pool until cancelled.
    public func run() async { await client.run() }

    /// Applies the embedded migrations the database lacks (or refuses a database newer than this
    /// binary, or older when `migrate` is false). Throws ``OutboxStoreError``.
    public func migrate(_ migrate: Bool = true) async throws {
        do {
            try await PostgresMigrator.migrate(client, migrate: migrate, logger: logger)
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    /// `outbox migrate` on PostgreSQL: the embedded migrations the database lacks, each file in its
    /// own transaction under the migration lock, the last with a `migrate` audit row; `dryRun`
    /// only reports. Throws ``OutboxStoreError`` (`schemaTooNew` for a database newer than this
    /// binary).
    public func migrateSchema(actor: String, now: EpochMillis, dryRun: Bool) async throws -> MigrationResult {
        do {
            return try await PostgresMigrator.migrate(
                client, migrate: true, audit: (actor, now), dryRun: dryRun, logger: logger)
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    /// Runs `body` in one transaction, mapping errors to ``OutboxStoreError``.
    @discardableResult
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    /// Runs `body` on a pooled connection (one statement: its own transaction).
    @discardableResult
    func connection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw OutboxStoreError.postgres(error)
        }
    }

    // MARK: Claims and leases

    public func claimBatch(
        owner: String, clock: any WallClock, limit: Int, leaseMillis: Int64, callerIdle: Bool,
        decide: @escaping @Sendable (OutboxCommand, PlanningContext, EpochMillis) -> ClaimStep
    ) async throws -> [ClaimedCommand] {
        guard limit > 0 else { return [] }
        let logger = logger
        // Nothing due: no transaction, no lock.
        let due = try await connection { connection in
            try await PostgresRows.one(
                connection.query(
                    "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND due_at <= \(clock.now()))",
                    logger: logger), Bool.self)
        }
        guard due == true else { return [] }
        return try await transaction { connection in
            let now = clock.now()
            let commands = try await Self.claim(
                connection, owner: owner, now: now, limit: limit, leaseMillis: leaseMillis, logger: logger)
            let contexts = try await Self.planningContexts(for: commands, connection, logger: logger)
            var claimed: [ClaimedCommand] = []
            var toMark: [Int64] = []
            for command in commands {
                // As the other engines decide, one command after the other: a context shows the
                // marks decided for the commands before it (the marks are then written in one
                // statement; this transaction holds every lease, so each one is written).
                let context = Self.withMarks(contexts[command.id] ?? PlanningContext(), Set(toMark), at: now)
                claimed.append(ClaimedCommand(command: command, context: context, markedAt: nil))
                // A mark past its deadline is not made (SendMark.pastDeadline): the command stays claimed.
                if case .markSending(let deadline) = decide(command, context, now), deadline.map({ now <= $0 }) ?? true {
                    toMark.append(command.id)
                }
            }
            let marked = try await Self.markAll(toMark, owner: owner, now: now, connection, logger: logger)
            for index in claimed.indices where marked.contains(claimed[index].command.id) {
                claimed[index].markedAt = now
            }
            return claimed
        }
    }

    static func claim(
        _ connection: PostgresConnection, owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64,
        logger: Logger
    ) async throws -> [OutboxCommand] {
        let rows = try await connection.query(
            """
            UPDATE outbox AS o
               SET state = 'in_flight', lease_owner = \(owner), lease_expires_at = \(now + leaseMillis), updated_at = \(now)
             WHERE o.id IN (SELECT id FROM outbox
                             WHERE state = 'pending' AND due_at <= \(now)
                             ORDER BY due_at, id
                             LIMIT \(Int64(limit))
                             FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: PostgresRows.commandColumns)
            """, logger: logger)
        return try await PostgresRows.commands(rows).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
    }

    public func claimOverdue(
        owner: String, now: EpochMillis, limit: Int, leaseMillis: Int64, defaultDeadlines: [String: Int64]
    ) async throws -> [OutboxCommand] {
        guard limit > 0 else { return [] }
        let kinds = defaultDeadlines.keys.sorted()
        let windows = kinds.map { defaultDeadlines[$0] ?? 0 }
        let logger = logger
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE outbox AS o
                   SET state = 'in_flight', lease_owner = \(owner), lease_expires_at = \(now + leaseMillis), updated_at = \(now)
                 WHERE o.id IN (SELECT p.id FROM outbox AS p
                                 WHERE p.state = 'pending' AND p.due_at <= \(now) AND p.needs_reconcile = 0
                                   AND p.paywall_payment_request_id IS NULL
                                   AND coalesce(p.deadline,
                                                p.created_at + (SELECT w.ms FROM unnest(\(kinds)::text[], \(windows)::bigint[]) AS w(kind, ms)
                                                                 WHERE w.kind = p.kind)) < \(now)
                                 ORDER BY p.due_at, p.id
                                 LIMIT \(Int64(limit))
                                 FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: PostgresRows.commandColumns)
                """, logger: logger)
            return try await PostgresRows.commands(rows).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    /// Each mark is committed before its request leaves; `durable` asks for the commit to be
    /// flushed even where the server runs `synchronous_commit = off`.
    public func markSending(
        commandID: Int64, owner: String, clock: any WallClock, deadline: EpochMillis?, durable: Bool
    ) async throws -> OutboxStore.SendMark {
        let logger = logger
        return try await transaction { connection in
            if durable { try await connection.query("SET LOCAL synchronous_commit = on", logger: logger) }
            return try await Self.mark(
                connection, commandID: commandID, owner: owner, now: clock.now(), deadline: deadline, logger: logger)
        }
    }

    static func mark(
        _ connection: PostgresConnection, commandID: Int64, owner: String, now: EpochMillis, deadline: EpochMillis?,
        logger: Logger
    ) async throws -> OutboxStore.SendMark {
        if let deadline, now > deadline { return .pastDeadline(at: now) }
        let marked = try await markAll([commandID], owner: owner, now: now, connection, logger: logger)
        guard marked.contains(commandID) else { return .leaseLost }
        return .marked(at: now)
    }

    public func withdrawMark(
        commandID: Int64, owner: String, needsReconcile: Bool, then update: CommandUpdate, now: EpochMillis
    ) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            try await Self.lockInbox(connection, logger: logger)
            let changed = try await PostgresRows.one(
                connection.query(
                    """
                    UPDATE outbox SET needs_reconcile = \(needsReconcile ? Int64(1) : 0)
                     WHERE id = \(commandID) AND state = 'in_flight' AND lease_owner = \(owner)
                    RETURNING id
                    """, logger: logger), Int64.self)
            guard changed != nil else { return false }
            try await connection.query(
                """
                DELETE FROM attempt
                 WHERE outbox_id = \(commandID) AND request = 'send' AND outcome = 'sending' AND worker IS NOT DISTINCT FROM \(owner)
                """, logger: logger)
            return try await Self.recordGroup([update], worker: owner, now: now, connection, savepoint: "withdraw", logger: logger)
        }
    }

    public func release(ids: [Int64], owner: String, dueAt: EpochMillis?, now: EpochMillis) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.all(
                connection.query(
                    """
                    UPDATE outbox
                       SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                           due_at = coalesce(\(dueAt), due_at), updated_at = \(now)
                     WHERE id = ANY(\(ids)) AND state = 'in_flight' AND lease_owner = \(owner)
                    RETURNING id
                    """, logger: logger), Int64.self
            ).count
        }
    }

    public func extendLeases(ids: [Int64], owner: String, until: EpochMillis, now: EpochMillis) async throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let logger = logger
        let held = try await connection { connection in
            try await PostgresRows.all(
                connection.query(
                    """
                    UPDATE outbox SET lease_expires_at = \(until), updated_at = \(now)
                     WHERE id = ANY(\(ids)) AND state = 'in_flight' AND lease_owner = \(owner)
                    RETURNING id
                    """, logger: logger), Int64.self)
        }
        let set = Set(held)
        return ids.filter { set.contains($0) }
    }

    /// One statement: any command pending or in flight, or any payment still followed.
    public func hasLiveWork() async throws -> Bool {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.one(
                connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending')
                        OR EXISTS (SELECT 1 FROM outbox WHERE state = 'in_flight')
                        OR EXISTS (SELECT 1 FROM payment_follow WHERE state = 'following')
                    """, logger: logger), Bool.self)
        } ?? true
    }

    public func releaseExpiredLeases(now: EpochMillis, sparing held: [Int64]) async throws -> [Int64] {
        let logger = logger
        return try await transaction { connection in
            let ids = try await PostgresRows.all(
                connection.query(
                    """
                    UPDATE outbox
                       SET state = 'pending', due_at = \(now), updated_at = \(now),
                           last_error = 'lease held by ' || coalesce(lease_owner, '?') || ' expired',
                           lease_owner = NULL, lease_expires_at = NULL
                     WHERE state = 'in_flight' AND (lease_expires_at IS NULL OR lease_expires_at < \(now))
                       AND NOT (id = ANY(\(held)))
                    RETURNING id
                    """, logger: logger), Int64.self
            ).sorted()
            if !ids.isEmpty {
                try await connection.query(
                    """
                    UPDATE attempt SET outcome = 'unknown', error = 'no answer recorded: the worker holding it stopped'
                     WHERE outbox_id = ANY(\(ids)) AND request = 'send' AND outcome = 'sending'
                    """, logger: logger)
            }
            return ids
        }
    }

    // MARK: Reads

    public func command(id: Int64) async throws -> OutboxCommand? {
        let logger = logger
        return try await connection { connection in
            try await PostgresRows.commands(
                connection.query(
                    "SELECT \(unescaped: PostgresRows.commandColumns) FROM outbox AS o WHERE o.id = \(id)",
                    logger: logger)
            ).first
        }
    }

    public func sendHistory(commandID: Int64) async throws -> SendHistory {
        let logger = logger
        return try await connection { connection in
            let rows = try await connection.query(
                """
                SELECT min(started_at), max(started_at + coalesce(duration_ms, 0)),
                       coalesce(bool_or(outcome = 'already_done' AND error = 'duplicate_merchant_unique_code'), false),
                       count(*)
                  FROM attempt WHERE outbox_id = \(commandID) AND request = 'send'
                """, logger: logger)
            for try await (first, last, duplicate, sends) in rows.decode((Int64?, Int64?, Bool, Int64).self) {
                return SendHistory(firstSendAt: first, lastSendAt: last, duplicateAnswered: duplicate, sends: Int(sends))
            }
            return SendHistory()
        }
    }

    public var latestSchemaVersion: Int { PostgresMigrator.latestVersion }

    public var localFile: (any LocalFileStorage)? { nil }

    /// Takes ``inboxLock`` for the rest of the transaction (first, before any row).
    static func lockInbox(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(inboxLock.0), \(inboxLock.1))", logger: logger)
    }
}

extension PostgresStore {
    /// The channel `Schema/postgres/004_notify.sql`'s trigger notifies on a producer's INSERT.
    static let changeChannel = "outbox_changed"

    /// LISTEN on ``changeChannel`` on a connection of its own: one element per notification
    /// (and one when listening starts or starts again after a lost connection, since a
    /// notification sent meanwhile is lost). Ends when the consumer stops iterating.
    public func changeNotifications() -> AsyncStream<Void>? {
        let client = client
        let logger = logger
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let listener = Task {
            var failures = 0
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.changeChannel) { notifications in
                            continuation.yield()
                            for try await _ in notifications { continuation.yield() }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    // A connection that stayed up a minute starts the backoff over; one that
                    // keeps dropping at once backs off to 5 s.
                    failures = ContinuousClock.now - started > .seconds(60) ? 1 : failures + 1
                    logger.warning(
                        "Listening for new commands failed; the idle tick still finds them",
                        metadata: ["outbox.error": "\(error)"])
                }
                // Back off 0.1 s, 0.2 s, ... up to 5 s before listening again.
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }
}
