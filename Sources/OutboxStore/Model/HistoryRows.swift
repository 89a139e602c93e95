import GRDB
import OutboxModel

/// One row of the `attempt` table.
public struct AttemptRow: Sendable, Hashable, SafelyReadRow {
    public var id: Int64
    public var outboxID: Int64
    public var generation: Int
    public var worker: String?
    public var record: AttemptRecord

    /// The `attempt` columns every engine selects, in this order.
    public static let columns =
        "id, outbox_id, generation, worker, started_at, duration_ms, http_status, outcome, error_code, error, request"

    /// Reads the values of ``columns`` as another engine stored them (NULL, integers, text);
    /// never traps (see ``SafeRowReader``).
    public init(storedValues: [DatabaseValue]) {
        self.init(values: storedValues)
    }

    init(reading reader: SafeRowReader) {
        var reader = reader
        id = reader.integer(0)
        outboxID = reader.integer(1)
        generation = reader.count(2, fallback: 1)
        worker = reader.optionalText(3)
        record = AttemptRecord(
            startedAt: reader.optionalWorkerTime(4) ?? 0, durationMillis: reader.optionalInteger(5),
            httpStatus: reader.optionalInteger(6).flatMap { Int(exactly: $0) }, outcome: reader.text(7),
            errorCode: reader.optionalInteger(8).flatMap { Int(exactly: $0) }, error: reader.optionalText(9),
            request: AttemptRequest(rawValue: reader.text(10)) ?? .send)
    }
}

/// One row of the `inbox` table.
public struct InboxRow: Sendable, Hashable, SafelyReadRow {
    public var id: Int64
    public var outboxID: Int64
    public var commandKey: String
    public var kindName: String
    public var generation: Int
    /// 'outcome' or 'payment_status'.
    public var event: String
    /// For outcome rows, the outcome and everything Paywall said.
    public var outcome: InboxOutcome?
    /// For payment_status rows (schema 006), the status.
    public var paymentStatus: PaymentStatusRow?
    public var createdAt: EpochMillis

    /// The `inbox` columns every engine selects, in this order.
    public static let columns = """
        id, outbox_id, command_key, kind, generation, event, outcome, reason, error_code, message, \
        client_message, payment_request_id, payment_request_activity_id, terminal_pair_id, payment_status_id, \
        result, raw_response, http_status, created_at, activity, status_name, source, final
        """

    /// Reads the values of ``columns`` as another engine stored them (NULL, integers, text);
    /// never traps (see ``SafeRowReader``).
    public init(storedValues: [DatabaseValue]) {
        self.init(values: storedValues)
    }

    init(reading reader: SafeRowReader) {
        var reader = reader
        id = reader.integer(0)
        outboxID = reader.integer(1)
        commandKey = reader.text(2)
        kindName = reader.text(3)
        generation = reader.count(4, fallback: 1)
        event = reader.text(5)
        let outcomeName = reader.optionalText(6)
        let smallInt: (Int64?) -> Int? = { $0.flatMap { Int(exactly: $0) } }
        outcome = outcomeName.flatMap(FinalOutcome.init(rawValue:)).map {
            InboxOutcome(
                $0, reason: reader.optionalText(7).map(InboxReason.init(rawValue:)), errorCode: smallInt(reader.optionalInteger(8)),
                message: reader.optionalText(9), clientMessage: reader.optionalText(10),
                paymentRequestId: reader.optionalText(11), paymentRequestActivityId: reader.optionalText(12),
                terminalPairId: reader.optionalText(13), paymentStatusId: smallInt(reader.optionalInteger(14)),
                result: reader.optionalText(15), rawResponse: reader.optionalText(16),
                httpStatus: smallInt(reader.optionalInteger(17)))
        }
        createdAt = reader.optionalWorkerTime(18) ?? 0
        if event == "payment_status" {
            paymentStatus = PaymentStatusRow(
                statusId: smallInt(reader.optionalInteger(14)), statusName: reader.optionalText(20),
                activity: reader.optionalText(19).flatMap(FollowedActivity.init(rawValue:)),
                source: reader.optionalText(21).flatMap(StatusSource.init(rawValue:)),
                isFinal: reader.optionalInteger(22) == 1, reason: reader.optionalText(7).map(InboxReason.init(rawValue:)),
                message: reader.optionalText(9), paymentRequestId: reader.optionalText(11),
                paymentRequestActivityId: reader.optionalText(12))
        }
    }
}

/// A `payment_status` inbox row's own columns (schema 006).
public struct PaymentStatusRow: Sendable, Hashable {
    /// `payment_status_id`; `nil` on the horizon's unresolved row.
    public var statusId: Int?
    /// `status_name` (S1).
    public var statusName: String?
    /// `activity`: sale or cancel.
    public var activity: FollowedActivity?
    /// `source`: inquiry, callback or horizon.
    public var source: StatusSource?
    /// `final`.
    public var isFinal: Bool
    /// `reason` (`unresolved` on the horizon's row).
    public var reason: InboxReason?
    /// `message`: Paywall's words, or the horizon's explanation.
    public var message: String?
    /// `payment_request_id`.
    public var paymentRequestId: String?
    /// `payment_request_activity_id`.
    public var paymentRequestActivityId: String?
}
