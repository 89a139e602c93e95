import OutboxModel

/// Which request an attempt row records (schema 004, `attempt.request`).
public enum AttemptRequest: String, Sendable, Hashable, CaseIterable {
    /// The command itself went to Paywall.
    case send
    /// A payment-list scan for the command's MerchantUniqueCode.
    case lookup
    /// A payment inquiry or activities read.
    case inquiry
}

/// One send of a command, for the attempt history.
public struct AttemptRecord: Sendable, Hashable {
    /// When the send started.
    public var startedAt: EpochMillis
    /// How long it took.
    public var durationMillis: Int64?
    /// The HTTP status, when an answer came.
    public var httpStatus: Int?
    /// The classification: succeeded, already_done, transient, unknown, rejected, unavailable,
    /// invalid, reconciled, inquiry, lookup; `sending` while a send's answer is not recorded.
    public var outcome: String
    /// Paywall's ErrorCode, when it gave one.
    public var errorCode: Int?
    /// Error text for operators (never secrets).
    public var error: String?
    /// Which request this was.
    public var request: AttemptRequest

    /// Creates an attempt record.
    public init(
        startedAt: EpochMillis, durationMillis: Int64? = nil, httpStatus: Int? = nil, outcome: String,
        errorCode: Int? = nil, error: String? = nil, request: AttemptRequest = .send
    ) {
        self.request = request
        self.startedAt = startedAt
        self.durationMillis = durationMillis
        self.httpStatus = httpStatus
        self.outcome = outcome
        self.errorCode = errorCode
        self.error = error
    }
}

/// The final outcome of a command, as written to the inbox.
public struct InboxOutcome: Sendable, Hashable {
    /// Which final outcome.
    public var outcome: FinalOutcome
    /// Why it ended so (README, "Reading the inbox").
    public var reason: InboxReason?
    /// Paywall's ErrorCode, verbatim.
    public var errorCode: Int?
    /// Paywall's Message, verbatim.
    public var message: String?
    /// Paywall's ClientMessage, verbatim.
    public var clientMessage: String?
    /// Ids Paywall returned.
    public var paymentRequestId: String?
    /// Ids Paywall returned.
    public var paymentRequestActivityId: String?
    /// Ids Paywall returned.
    public var terminalPairId: String?
    /// The payment status Paywall reported.
    public var paymentStatusId: Int?
    /// Other fields that matter, as a JSON object text.
    public var result: String?
    /// The raw response body.
    public var rawResponse: String?
    /// The HTTP status of the answer.
    public var httpStatus: Int?

    /// Creates an outcome.
    public init(
        _ outcome: FinalOutcome, reason: InboxReason? = nil, errorCode: Int? = nil, message: String? = nil,
        clientMessage: String? = nil, paymentRequestId: String? = nil, paymentRequestActivityId: String? = nil,
        terminalPairId: String? = nil, paymentStatusId: Int? = nil, result: String? = nil,
        rawResponse: String? = nil, httpStatus: Int? = nil
    ) {
        self.outcome = outcome
        self.reason = reason
        self.errorCode = errorCode
        self.message = message
        self.clientMessage = clientMessage
        self.paymentRequestId = paymentRequestId
        self.paymentRequestActivityId = paymentRequestActivityId
        self.terminalPairId = terminalPairId
        self.paymentStatusId = paymentStatusId
        self.result = result
        self.rawResponse = rawResponse
        self.httpStatus = httpStatus
    }
}

/// A change to one command, recorded together with its attempt and inbox row.
public struct CommandUpdate: Sendable, Hashable {
    /// Who may change the command; the update is refused when this no longer holds.
    public enum Precondition: Sendable, Hashable {
        /// The command is in flight under this worker's lease.
        case leasedBy(String)
        /// The command is pending and nobody holds it (e.g. revoking a sale not yet sent).
        case pendingUnleased
        /// Pending and unleased, or in flight under this worker's lease (revoking a follow-up
        /// the same worker claimed in the same batch as its sale).
        case pendingOrLeasedBy(String)
        /// Pending, unleased and certainly never sent (no reconcile mark, no PaymentRequestId):
        /// what a local revocation requires of the commands it takes along, checked in the same
        /// transaction, so a command another worker sent a moment ago is never reported "never sent".
        case neverSent
    }

    /// What happens to the command next.
    public enum Next: Sendable, Hashable {
        /// It ends, with this inbox outcome.
        case finish(InboxOutcome)
        /// It goes back to the queue, due at `dueAt`.
        case reschedule(dueAt: EpochMillis, needsReconcile: Bool, lastError: String?)
    }

    /// The command's row id.
    public var commandID: Int64
    /// The precondition.
    public var precondition: Precondition
    /// The send to add to the history, if there was one.
    public var attempt: AttemptRecord?
    /// Whether this counts against the retry budget (connectivity pauses do not).
    public var countsAsAttempt: Bool
    /// The PaymentRequestId learned, if any.
    public var paywallPaymentRequestId: String?
    /// When Paywall accepted the command, if just learned.
    public var acceptedAt: EpochMillis?
    /// What happens next.
    public var next: Next
    /// The activity to follow to its final status once the command finishes (schema 006), if any.
    public var follow: FollowStart?

    /// Creates an update.
    public init(
        commandID: Int64, precondition: Precondition, attempt: AttemptRecord? = nil,
        countsAsAttempt: Bool = false, paywallPaymentRequestId: String? = nil, acceptedAt: EpochMillis? = nil,
        next: Next, follow: FollowStart? = nil
    ) {
        self.follow = follow
        self.commandID = commandID
        self.precondition = precondition
        self.attempt = attempt
        self.countsAsAttempt = countsAsAttempt
        self.paywallPaymentRequestId = paywallPaymentRequestId
        self.acceptedAt = acceptedAt
        self.next = next
    }
}
