import Foundation
import GRDB
import Logging
import OutboxModel
import OutboxPostgres
import OutboxTestSupport
import PostgresNIO
import Testing

@testable import OutboxStore

/// One implementation of the store contract under test, with what the contract suite needs
/// besides the contract itself: a producer's INSERT and the merchant's and operator's reads.
struct ContractStore: Sendable {
    let store: any WorkerStore
    let enqueue: @Sendable (NewCommand, EpochMillis) async throws -> Int64
    let inbox: @Sendable (_ after: Int64) async throws -> [InboxRow]
    let attempts: @Sendable (_ commandID: Int64) async throws -> [AttemptRow]
    /// Empties a command's `lease_expires_at` as a hand-written UPDATE would (nothing in the
    /// contract writes an in-flight row without one).
    let clearLeaseEnd: @Sendable (_ commandID: Int64) async throws -> Void
    /// Lets go of what the store holds (a connection pool).
    var close: @Sendable () -> Void = {}

    /// `count` sales queued at `now`, their ids in order.
    func sales(_ count: Int, at now: EpochMillis) async throws -> [Int64] {
        var ids: [Int64] = []
        for _ in 0..<count { ids.append(try await enqueue(Sample.sale(), now)) }
        return ids
    }
}

/// An engine the contract suite runs against (a test argument).
struct ContractSubject: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> ContractStore

    var testDescription: String { name }

    /// A fresh SQLite file (the embedded default).
    static let sqlite = ContractSubject(name: "SQLite") {
        let store = try TestDatabase().open()
        return ContractStore(
            store: SQLiteWorkerStore(store),
            enqueue: { command, now in
                var command = command
                command.createdAt = command.createdAt ?? now
                return try store.enqueue(command).id
            },
            inbox: { try store.inbox(after: $0, limit: 100_000) },
            attempts: { try store.detail(id: $0)?.attempts ?? [] },
            clearLeaseEnd: { id in
                try store.pool.write { try $0.execute(sql: "UPDATE outbox SET lease_expires_at = NULL WHERE id = ?", arguments: [id]) }
            })
    }

    /// The in-memory store.
    static let memory = ContractSubject(name: "memory") {
        let store = MemoryWorkerStore()
        return ContractStore(
            store: store, enqueue: { store.enqueue($0, now: $1).id }, inbox: { store.inbox(after: $0) },
            attempts: { store.attempts(commandID: $0) },
            clearLeaseEnd: { id in store.tables.withLock { $0.commands[id]?.leaseExpiresAt = nil } })
    }

    /// A fresh database on the test PostgreSQL server (``LocalPostgres``), migrated.
    static let postgres = ContractSubject(name: "PostgreSQL") {
        let handle = try await PostgresTestDatabase.make()
        let client = handle.client
        return ContractStore(
            store: handle.store,
            enqueue: { command, now in try await insert(client, command, at: now) },
            inbox: { after in try await handle.store.inbox(after: after, limit: 100_000) },
            attempts: { id in try await handle.store.detail(id: id)?.attempts ?? [] },
            clearLeaseEnd: { id in
                try await client.query("UPDATE outbox SET lease_expires_at = NULL WHERE id = \(id)")
            },
            close: { handle.close() })
    }

    /// A producer's INSERT into a PostgreSQL outbox; the row's id.
    static func insert(_ client: PostgresClient, _ command: NewCommand, at now: EpochMillis) async throws -> Int64 {
        let rows = try await client.query(
            """
            INSERT INTO outbox (command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, created_at)
            VALUES (\(command.commandKey), \(command.kindName), \(command.payload), \(command.saleKey),
                    \(command.paymentRequestId), \(command.notBefore), \(command.deadline), \(command.createdAt ?? now))
            RETURNING id
            """)
        for try await id in rows.decode(Int64.self) { return id }
        throw OutboxStoreError(.postgres, "no id returned")
    }

    /// Every engine: SQLite, memory, and PostgreSQL when a server can be had (see
    /// ``LocalPostgres``). Without one, PostgreSQL is left out with the reason printed, unless
    /// `OUTBOX_REQUIRE_POSTGRES=1` (CI): then its cases run and fail with the reason.
    static let all: [ContractSubject] = {
        if case .failure(let why) = LocalPostgres.shared, !LocalPostgres.required {
            print("note: the PostgreSQL cases of the store contract are skipped: \(why)")
            return [.sqlite, .memory]
        }
        return [.sqlite, .memory, .postgres]
    }()
}

/// One engine of the operator contract (``OperatorStore``) under test: the store, the worker's
/// side of the same database (to move commands through their states as a worker would), a
/// producer's INSERT, and an empty database for the migration cases.
struct OperatorFixture: Sendable {
    let store: any OperatorStore
    let worker: any WorkerStore
    let produce: @Sendable (NewCommand, EpochMillis) async throws -> Int64
    var close: @Sendable () -> Void = {}
}

/// An empty database of one engine: `migrate` is that engine's `outbox migrate`, `makeNewer`
/// marks the database as migrated past this binary, `audits` counts `migrate` audit rows.
struct EmptyDatabase: Sendable {
    let migrate: @Sendable (_ dryRun: Bool, _ now: EpochMillis) async throws -> MigrationResult
    let version: @Sendable () async throws -> Int
    let latest: Int
    let makeNewer: @Sendable () async throws -> Void
    let audits: @Sendable () async throws -> Int
    var close: @Sendable () -> Void = {}
}

/// An engine the operator contract suite runs against (a test argument). The in-memory store
/// is the worker's test double and serves no operator: it is not one of them.
struct OperatorSubject: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> OperatorFixture
    let empty: @Sendable () async throws -> EmptyDatabase

    var testDescription: String { name }

    static let sqlite = OperatorSubject(
        name: "SQLite",
        make: {
            let store = try TestDatabase().open()
            return OperatorFixture(
                store: store, worker: SQLiteWorkerStore(store),
                produce: { command, now in
                    var command = command
                    command.createdAt = command.createdAt ?? now
                    return try store.enqueue(command).id
                })
        },
        empty: {
            let path = try TestDatabase().path
            return EmptyDatabase(
                migrate: { dryRun, now in try OutboxStore.migrate(path: path, actor: "op", now: now, dryRun: dryRun) },
                version: { try OutboxStore.schemaVersion(atPath: path) ?? 0 }, latest: SchemaMigrator.latestVersion,
                makeNewer: {
                    let queue = try DatabaseQueue(path: path)
                    try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 99") }
                },
                audits: {
                    try DatabaseQueue(path: path).read {
                        try Int.fetchOne($0, sql: "SELECT count(*) FROM audit WHERE action = 'migrate'") ?? 0
                    }
                })
        })

    static let postgres = OperatorSubject(
        name: "PostgreSQL",
        make: {
            let handle = try await PostgresTestDatabase.make()
            let client = handle.client
            return OperatorFixture(
                store: handle.store, worker: handle.store,
                produce: { command, now in try await ContractSubject.insert(client, command, at: now) },
                close: { handle.close() })
        },
        empty: {
            let database = try await ScratchPostgres.make(prefix: "outbox_empty", migrated: false)
            let store = PostgresStore(client: database.client, location: database.url, logger: ScratchPostgres.quiet)
            return EmptyDatabase(
                migrate: { dryRun, now in try await store.migrateSchema(actor: "op", now: now, dryRun: dryRun) },
                version: { try await store.schemaVersion() }, latest: store.latestSchemaVersion,
                makeNewer: {
                    try await database.client.query(
                        "INSERT INTO schema_version (version, file, sqlite_version) VALUES (99, 'future.sql', 99)")
                },
                audits: { try await database.number("SELECT count(*) FROM audit WHERE action = 'migrate'") },
                close: { database.close() })
        })

    /// SQLite, and PostgreSQL when a server can be had (as ``ContractSubject/all``).
    static let all: [OperatorSubject] = ContractSubject.all.contains { $0.name == "PostgreSQL" } ? [.sqlite, .postgres] : [.sqlite]
}
