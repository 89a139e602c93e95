import GRDB
import OutboxModel
import OutboxStore
import PostgresNIO

/// Reading rows of the PostgreSQL schema into the store's values. citext columns are selected
/// `::text` (the driver decodes only built-in types), ids and times are `bigint`.
enum PostgresRows {
    /// The outbox columns, in ``command(_:)``'s order (`o` is the table's alias).
    static let commandColumns = """
        o.id, o.command_key::text, o.kind, o.payload, o.sale_key::text, o.payment_request_id::text, o.not_before, \
        o.deadline, o.created_at, o.terminal, o.state, o.generation, o.attempts, o.due_at, o.needs_reconcile, \
        o.lease_owner, o.lease_expires_at, o.last_error, o.paywall_payment_request_id::text, o.accepted_at, \
        o.finished_at, o.updated_at
        """

    static func command(_ row: PostgresRow) throws -> OutboxCommand {
        let r = row.makeRandomAccess()
        let stateName = try r[10].decode(String.self)
        var command = OutboxCommand(
            id: try r[0].decode(Int64.self), commandKey: try r[1].decode(String.self), kind: .asyncSale,
            payload: try r[3].decode(String.self), saleKey: try r[4].decode(String?.self),
            paymentRequestId: try r[5].decode(String?.self), notBefore: try r[6].decode(Int64?.self),
            deadline: try r[7].decode(Int64?.self), createdAt: try r[8].decode(Int64.self),
            terminal: try r[9].decode(String?.self), state: CommandState(rawValue: stateName) ?? .pending,
            generation: Int(try r[11].decode(Int64.self)), attempts: Int(try r[12].decode(Int64.self)),
            dueAt: try r[13].decode(Int64.self), needsReconcile: try r[14].decode(Int64.self) != 0,
            leaseOwner: try r[15].decode(String?.self), leaseExpiresAt: try r[16].decode(Int64?.self),
            lastError: try r[17].decode(String?.self), paywallPaymentRequestId: try r[18].decode(String?.self),
            acceptedAt: try r[19].decode(Int64?.self), finishedAt: try r[20].decode(Int64?.self),
            updatedAt: try r[21].decode(Int64?.self))
        command.kindName = try r[2].decode(String.self)
        if CommandState(rawValue: stateName) == nil {
            command.defects.append(ColumnDefect(column: "state", problem: "not a known state"))
        }
        return command
    }

    static func commands(_ rows: PostgresRowSequence) async throws -> [OutboxCommand] {
        var commands: [OutboxCommand] = []
        for try await row in rows { commands.append(try command(row)) }
        return commands
    }

    /// The payment_follow columns joined with their command, in ``follow(_:)``'s order.
    static let followColumns = """
        f.id, f.outbox_id, f.generation, o.command_key::text, o.kind, f.payment_request_id::text, f.activity_type, \
        f.activity_id::text, f.state, f.started_at, f.horizon_at, f.next_poll_at, f.interval_ms, f.last_status_id, \
        f.progress, f.polls
        """

    static func follow(_ row: PostgresRow) throws -> PaymentFollow {
        let r = row.makeRandomAccess()
        return PaymentFollow(
            id: try r[0].decode(Int64.self), outboxId: try r[1].decode(Int64.self),
            generation: Int(try r[2].decode(Int64.self)), commandKey: try r[3].decode(String?.self) ?? "",
            kindName: try r[4].decode(String?.self) ?? "", paymentRequestId: try r[5].decode(String.self),
            activity: FollowedActivity(paymentTypeId: Int(try r[6].decode(Int64.self))) ?? .sale,
            activityId: try r[7].decode(String?.self),
            state: FollowState(rawValue: try r[8].decode(String.self)) ?? .following,
            startedAt: try r[9].decode(Int64.self), horizonAt: try r[10].decode(Int64.self),
            nextPollAt: try r[11].decode(Int64.self), intervalMillis: try r[12].decode(Int64.self),
            lastStatusId: try r[13].decode(Int64?.self).map { Int($0) }, progress: Int(try r[14].decode(Int64.self)),
            polls: Int(try r[15].decode(Int64.self)))
    }

    /// The single value of a one-row, one-column result, if any.
    static func one<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, _ type: T.Type) async throws -> T? {
        for try await value in rows.decode(T.self) { return value }
        return nil
    }

    /// Every value of a one-column result.
    static func all<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, _ type: T.Type) async throws -> [T] {
        var values: [T] = []
        for try await value in rows.decode(T.self) { values.append(value) }
        return values
    }
}

extension OutboxStoreError {
    /// A PostgreSQL failure as the store's error: a schema rule (a CHECK, a unique key, a trigger's
    /// `outbox: ...` RAISE) is `rejected` with the server's message; anything else `postgres`.
    public static func postgres(_ error: any Error) -> OutboxStoreError {
        if let known = error as? OutboxStoreError { return known }
        // withTransaction wraps what failed inside it: classify the failure itself (a refused row
        // must come back `rejected`, so the group commit retries the other groups on their own).
        if let transaction = error as? PostgresTransactionError,
            let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError
        {
            return postgres(inner)
        }
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] {
            let message = psql.serverInfo?[.message] ?? "\(psql.code)"
            // Class 23: integrity constraint violation; P0001: RAISE EXCEPTION (the contract's triggers).
            if state.hasPrefix("23") || state == "P0001" { return OutboxStoreError(.rejected, message) }
            // 55P03: lock_not_available, a lock not granted within lock_timeout (the CLI's
            // --busy-timeout): busy, as SQLITE_BUSY is.
            if state == "55P03" { return OutboxStoreError(.busy, "\(message) (SQLSTATE \(state))") }
            return OutboxStoreError(.postgres, "\(message) (SQLSTATE \(state))")
        }
        if let psql = error as? PSQLError, let underlying = psql.underlying {
            // No server answer: the connection itself (refused, reset, a TLS failure).
            return OutboxStoreError(.postgres, "\(psql.code): \(underlying)")
        }
        return OutboxStoreError(.postgres, String(reflecting: error))
    }
}

extension PostgresRows {
    /// A row's cells as the values SQLite would hold (NULL, integer, text), in column order, for
    /// the store's one column reader (`AttemptRow(storedValues:)` and its kind), so a column means
    /// the same on both engines. Integers and booleans become integers; text and citext (whose
    /// binary form is its UTF-8 bytes) become text.
    static func storedValues(_ row: PostgresRow) -> [DatabaseValue] {
        row.map { cell -> DatabaseValue in
            guard var bytes = cell.bytes else { return .null }
            switch cell.dataType {
            case .int8, .int4, .int2:
                return (try? cell.decode(Int64.self)).map(\.databaseValue) ?? .null
            case .bool:
                return (try? cell.decode(Bool.self)).map { ($0 ? Int64(1) : 0).databaseValue } ?? .null
            default:
                return (bytes.readString(length: bytes.readableBytes) ?? "").databaseValue
            }
        }
    }

    /// Every row of `rows` through ``storedValues(_:)``.
    static func stored(_ rows: PostgresRowSequence) async throws -> [[DatabaseValue]] {
        var values: [[DatabaseValue]] = []
        for try await row in rows { values.append(storedValues(row)) }
        return values
    }
}
