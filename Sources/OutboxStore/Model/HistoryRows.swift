import GRDB
import OutboxModel

/// One row of the `attempt` table.
public struct AttemptRow: Sendable, Hashable {
    public var id: Int64
    public var outboxID: Int64
    public var generation: Int
    public var worker: String?
    public var record: AttemptRecord

    static let columns = "id, outbox_id, generation, worker, started_at, duration_ms, http_status, outcome, error_code, error"

    init(row: Row) {
        id = row[0]
        outboxID = row[1]
        generation = row[2]
        worker = row[3]
        record = AttemptRecord(
            startedAt: row[4], durationMillis: row[5], httpStatus: row[6], outcome: row[7], errorCode: row[8],
            error: row[9])
    }
}

/// One row of the `inbox` table.
public struct InboxRow: Sendable, Hashable {
    public var id: Int64
    public var outboxID: Int64
    public var commandKey: String
    public var kindName: String
    public var generation: Int
    /// 'outcome' or 'payment_status'.
    public var event: String
    /// For outcome rows, the outcome and everything Paywall said.
    public var outcome: InboxOutcome?
    public var createdAt: EpochMillis

    static let columns = """
        id, outbox_id, command_key, kind, generation, event, outcome, reason, error_code, message, \
        client_message, payment_request_id, payment_request_activity_id, terminal_pair_id, payment_status_id, \
        result, raw_response, http_status, created_at
        """

    init(row: Row) {
        id = row[0]
        outboxID = row[1]
        commandKey = row[2]
        kindName = row[3]
        generation = row[4]
        event = row[5]
        let outcomeName: String? = row[6]
        outcome = outcomeName.flatMap(FinalOutcome.init(rawValue:)).map {
            InboxOutcome(
                $0, reason: row[7], errorCode: row[8], message: row[9], clientMessage: row[10],
                paymentRequestId: row[11], paymentRequestActivityId: row[12], terminalPairId: row[13],
                paymentStatusId: row[14], result: row[15], rawResponse: row[16], httpStatus: row[17])
        }
        createdAt = row[18]
    }
}
