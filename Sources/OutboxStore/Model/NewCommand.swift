import OutboxModel

/// A command to queue, as a producer would INSERT it.
public struct NewCommand: Sendable, Hashable {
    /// The idempotency key; for a sale, its MerchantUniqueCode.
    public var commandKey: String
    /// The kind name (normally a `CommandKind` raw value; the database refuses unknown ones).
    public var kindName: String
    /// The Paywall request body, a JSON object, as text.
    public var payload: String
    /// For follow-ups: the sale's MerchantUniqueCode.
    public var saleKey: String?
    /// For follow-ups: the sale's PaymentRequestId.
    public var paymentRequestId: String?
    /// Do not send before this time.
    public var notBefore: EpochMillis?
    /// Never send after this time.
    public var deadline: EpochMillis?
    /// Creation time; nil lets the database use now.
    public var createdAt: EpochMillis?

    /// Creates a command of a known kind.
    public init(
        commandKey: String, kind: CommandKind, payload: String, saleKey: String? = nil,
        paymentRequestId: String? = nil, notBefore: EpochMillis? = nil, deadline: EpochMillis? = nil,
        createdAt: EpochMillis? = nil
    ) {
        self.init(
            commandKey: commandKey, kindName: kind.rawValue, payload: payload, saleKey: saleKey,
            paymentRequestId: paymentRequestId, notBefore: notBefore, deadline: deadline, createdAt: createdAt)
    }

    /// Creates a command by kind name, as an untrusted producer might.
    public init(
        commandKey: String, kindName: String, payload: String, saleKey: String? = nil,
        paymentRequestId: String? = nil, notBefore: EpochMillis? = nil, deadline: EpochMillis? = nil,
        createdAt: EpochMillis? = nil
    ) {
        self.commandKey = commandKey
        self.kindName = kindName
        self.payload = payload
        self.saleKey = saleKey
        self.paymentRequestId = paymentRequestId
        self.notBefore = notBefore
        self.deadline = deadline
        self.createdAt = createdAt
    }
}

/// What `enqueue` did.
public enum EnqueueResult: Sendable, Hashable {
    /// A new row was inserted with this id.
    case inserted(Int64)
    /// A command with the same key was already queued (this id); nothing changed.
    case alreadyQueued(Int64)

    /// The row id either way.
    public var id: Int64 {
        switch self {
        case .inserted(let id), .alreadyQueued(let id): id
        }
    }
}
