import GRDB
import OutboxModel

/// One row of the `outbox` table.
public struct OutboxCommand: Sendable, Hashable {
    /// SQLite row id.
    public var id: Int64
    /// The idempotency key (a sale's MerchantUniqueCode).
    public var commandKey: String
    /// The kind as stored.
    public var kindName: String
    /// The Paywall request body as the producer wrote it.
    public var payload: String
    /// For follow-ups: the MerchantUniqueCode of the sale they act on.
    public var saleKey: String?
    /// For follow-ups: the PaymentRequestId of the sale they act on.
    public var paymentRequestId: String?
    /// Do not send before this time.
    public var notBefore: EpochMillis?
    /// Never send after this time (nil: the worker's default for the kind).
    public var deadline: EpochMillis?
    /// When the producer queued it.
    public var createdAt: EpochMillis
    /// TerminalId or TerminalTagCode from the payload.
    public var terminal: String?
    /// Worker-owned state.
    public var state: CommandState
    /// Increases on each operator retry.
    public var generation: Int
    /// Sends counted against the retry budget in this generation.
    public var attempts: Int
    /// When the worker should look at it next.
    public var dueAt: EpochMillis
    /// A send may have reached Paywall without an answer; reconcile before resending.
    public var needsReconcile: Bool
    /// The worker holding it.
    public var leaseOwner: String?
    /// When that lease ends.
    public var leaseExpiresAt: EpochMillis?
    /// The last error seen.
    public var lastError: String?
    /// The PaymentRequestId Paywall gave this command's payment.
    public var paywallPaymentRequestId: String?
    /// When Paywall accepted it.
    public var acceptedAt: EpochMillis?
    /// When it reached a final state.
    public var finishedAt: EpochMillis?
    /// Last change by the worker or an operator.
    public var updatedAt: EpochMillis?
    /// Columns whose stored value could not be used (empty for every row the schema accepts).
    /// The worker ends such a row instead of sending it; the CLI shows it with the defects named.
    public var defects: [ColumnDefect] = []

    /// The kind, when this binary knows it.
    public var kind: CommandKind? { CommandKind(rawValue: kindName) }

    /// The columns read into this struct, in order. The payload is read as its stored bytes
    /// (with its storage class last): SQLite keeps TEXT that is not UTF-8 as written, and reading
    /// it as text would turn each bad byte into U+FFFD, which the worker would then send.
    static let columns = """
        id, command_key, kind, CAST(payload AS BLOB) AS payload, sale_key, payment_request_id, not_before, deadline, \
        created_at, terminal, state, generation, attempts, due_at, needs_reconcile, lease_owner, \
        lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at, \
        typeof(payload) AS payload_type
        """

    /// Creates a command value (for planning tests and tools); rows come from the store.
    public init(
        id: Int64, commandKey: String, kind: CommandKind, payload: String = "{}", saleKey: String? = nil,
        paymentRequestId: String? = nil, notBefore: EpochMillis? = nil, deadline: EpochMillis? = nil,
        createdAt: EpochMillis, terminal: String? = nil, state: CommandState = .pending, generation: Int = 1,
        attempts: Int = 0, dueAt: EpochMillis = 0, needsReconcile: Bool = false, leaseOwner: String? = nil,
        leaseExpiresAt: EpochMillis? = nil, lastError: String? = nil, paywallPaymentRequestId: String? = nil,
        acceptedAt: EpochMillis? = nil, finishedAt: EpochMillis? = nil, updatedAt: EpochMillis? = nil,
        defects: [ColumnDefect] = []
    ) {
        self.id = id
        self.commandKey = commandKey
        self.kindName = kind.rawValue
        self.payload = payload
        self.saleKey = saleKey
        self.paymentRequestId = paymentRequestId
        self.notBefore = notBefore
        self.deadline = deadline
        self.createdAt = createdAt
        self.terminal = terminal
        self.state = state
        self.generation = generation
        self.attempts = attempts
        self.dueAt = dueAt
        self.needsReconcile = needsReconcile
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.paywallPaymentRequestId = paywallPaymentRequestId
        self.acceptedAt = acceptedAt
        self.finishedAt = finishedAt
        self.updatedAt = updatedAt
        self.defects = defects
    }

    /// Reads a row selected with ``columns``. Never traps: a value the binary cannot use becomes a
    /// ``ColumnDefect`` in ``defects`` and a safe placeholder (see ``SafeRowReader``).
    init(row: Row) {
        var reader = SafeRowReader(row, columns: Self.columns)
        id = reader.integer(0)
        commandKey = reader.text(1)
        kindName = reader.text(2)
        payload = reader.storedText(3, storageClass: 22)
        saleKey = reader.optionalText(4)
        paymentRequestId = reader.optionalText(5)
        notBefore = reader.optionalProducerTime(6)
        deadline = reader.optionalProducerTime(7)
        createdAt = reader.optionalProducerTime(8) ?? EpochRange.earliest
        if reader.isNull(8) { reader.defects.append(ColumnDefect(column: "created_at", problem: "NULL")) }
        terminal = reader.optionalText(9)
        let stateName = reader.text(10)
        if let state = CommandState(rawValue: stateName) {
            self.state = state
        } else {
            reader.defects.append(ColumnDefect(column: "state", problem: "not a known state"))
            self.state = .pending
        }
        generation = reader.count(11, fallback: 1)
        attempts = reader.count(12)
        dueAt = reader.optionalWorkerTime(13) ?? 0
        needsReconcile = reader.integer(14) != 0
        leaseOwner = reader.optionalText(15)
        leaseExpiresAt = reader.optionalWorkerTime(16)
        lastError = reader.optionalText(17)
        paywallPaymentRequestId = reader.optionalText(18)
        acceptedAt = reader.optionalWorkerTime(19)
        finishedAt = reader.optionalWorkerTime(20)
        updatedAt = reader.optionalWorkerTime(21)
        defects = reader.defects
    }
}
