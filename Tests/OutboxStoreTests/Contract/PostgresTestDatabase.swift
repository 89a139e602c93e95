import Foundation
import Logging
import OutboxModel
import OutboxPostgres
import OutboxTestSupport
import PostgresNIO
import Testing

@testable import OutboxStore

/// A PostgreSQL store on a scratch database of its own (``ScratchPostgres``).
final class PostgresTestStore: Sendable {
    let database: ScratchPostgres
    let store: PostgresWorkerStore
    var client: PostgresClient { database.client }

    init(database: ScratchPostgres) {
        self.database = database
        store = PostgresWorkerStore(client: database.client, location: database.url, logger: ScratchPostgres.quiet)
    }

    /// Stops its client.
    func close() { database.close() }
}

enum PostgresTestDatabase {
    /// A new migrated database with its store.
    static func make() async throws -> PostgresTestStore {
        PostgresTestStore(database: try await ScratchPostgres.make())
    }

    static func inbox(_ client: PostgresClient, after: Int64) async throws -> [InboxRow] {
        let rows = try await client.query(
            """
            SELECT id, outbox_id, command_key::text, kind, generation, event, outcome, reason, payment_request_id::text,
                   payment_status_id, activity, status_name, source, final, created_at, message
              FROM inbox WHERE id > \(after) ORDER BY id
            """)
        var result: [InboxRow] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let event = try r[5].decode(String.self)
            let outcome = try r[6].decode(String?.self).flatMap(FinalOutcome.init(rawValue:)).map {
                InboxOutcome(
                    $0, reason: try? r[7].decode(String?.self).map(InboxReason.init(rawValue:)),
                    message: try? r[15].decode(String?.self), paymentRequestId: try? r[8].decode(String?.self),
                    paymentStatusId: (try? r[9].decode(Int64?.self)).flatMap { $0.map(Int.init) })
            }
            var status: PaymentStatusRow?
            if event == "payment_status" {
                status = PaymentStatusRow(
                    statusId: try r[9].decode(Int64?.self).map(Int.init), statusName: try r[11].decode(String?.self),
                    activity: try r[10].decode(String?.self).flatMap(FollowedActivity.init(rawValue:)),
                    source: try r[12].decode(String?.self).flatMap(StatusSource.init(rawValue:)),
                    isFinal: try r[13].decode(Int64?.self) == 1,
                    reason: try r[7].decode(String?.self).map(InboxReason.init(rawValue:)),
                    message: try r[15].decode(String?.self), paymentRequestId: try r[8].decode(String?.self),
                    paymentRequestActivityId: nil)
            }
            var command = OutboxCommand(
                id: try r[1].decode(Int64.self), commandKey: try r[2].decode(String.self), kind: .asyncSale,
                createdAt: 0)
            command.kindName = try r[3].decode(String.self)
            result.append(
                InboxRow(
                    id: try r[0].decode(Int64.self), command: command, generation: Int(try r[4].decode(Int64.self)),
                    event: event, outcome: outcome, paymentStatus: status, createdAt: try r[14].decode(Int64.self)))
        }
        return result
    }

    static func attempts(_ client: PostgresClient, commandID: Int64) async throws -> [AttemptRow] {
        let rows = try await client.query(
            """
            SELECT id, outbox_id, generation, worker, started_at, duration_ms, http_status, outcome, error_code, error, request
              FROM attempt WHERE outbox_id = \(commandID) ORDER BY id
            """)
        var result: [AttemptRow] = []
        for try await (id, outboxID, generation, worker, startedAt, duration, http, outcome, code, error, request)
            in rows.decode((Int64, Int64, Int64, String?, Int64, Int64?, Int64?, String, Int64?, String?, String).self)
        {
            result.append(
                AttemptRow(
                    id: id, outboxID: outboxID, generation: Int(generation), worker: worker,
                    record: AttemptRecord(
                        startedAt: startedAt, durationMillis: duration, httpStatus: http.map(Int.init), outcome: outcome,
                        errorCode: code.map(Int.init), error: error, request: AttemptRequest(rawValue: request) ?? .send)))
        }
        return result
    }
}

