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

    /// The kind, when this binary knows it.
    public var kind: CommandKind? { CommandKind(rawValue: kindName) }

    /// The columns read into this struct, in order.
    static let columns = """
        id, command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, \
        created_at, terminal, state, generation, attempts, due_at, needs_reconcile, lease_owner, \
        lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at
        """

    /// Creates a command value (for planning tests and tools); rows come from the store.
    public init(
        id: Int64, commandKey: String, kind: CommandKind, payload: String = "{}", saleKey: String? = nil,
        paymentRequestId: String? = nil, notBefore: EpochMillis? = nil, deadline: EpochMillis? = nil,
        createdAt: EpochMillis, terminal: String? = nil, state: CommandState = .pending, generation: Int = 1,
        attempts: Int = 0, dueAt: EpochMillis = 0, needsReconcile: Bool = false, leaseOwner: String? = nil,
        leaseExpiresAt: EpochMillis? = nil, lastError: String? = nil, paywallPaymentRequestId: String? = nil,
        acceptedAt: EpochMillis? = nil, finishedAt: EpochMillis? = nil, updatedAt: EpochMillis? = nil
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
    }

    init(row: Row) throws {
        id = row[0]
        commandKey = row[1]
        kindName = row[2]
        payload = row[3]
        saleKey = row[4]
        paymentRequestId = row[5]
        notBefore = row[6]
        deadline = row[7]
        createdAt = row[8]
        terminal = row[9]
        let stateName: String = row[10]
        guard let state = CommandState(rawValue: stateName) else {
            throw OutboxStoreError(.corruptRow, "outbox row \(row[0] as Int64) has unknown state '\(stateName)'")
        }
        self.state = state
        generation = row[11]
        attempts = row[12]
        dueAt = row[13]
        needsReconcile = (row[14] as Int) != 0
        leaseOwner = row[15]
        leaseExpiresAt = row[16]
        lastError = row[17]
        paywallPaymentRequestId = row[18]
        acceptedAt = row[19]
        finishedAt = row[20]
        updatedAt = row[21]
    }
}
