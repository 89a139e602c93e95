import GRDB
import OutboxModel

/// Which activity of a payment a status belongs to, as the inbox names it (`inbox.activity`;
/// Paywall's `PaymentTypeId` 1 sale, 2 cancel).
public enum FollowedActivity: String, Sendable, Hashable, CaseIterable, Codable {
    /// The sale (`PaymentTypeId` 1).
    case sale
    /// A cancel (`PaymentTypeId` 2).
    case cancel

    /// Paywall's `PaymentTypeId`.
    public var paymentTypeId: Int { self == .sale ? 1 : 2 }

    /// The activity for a `PaymentTypeId`; `nil` for refunds and unknown types.
    public init?(paymentTypeId: Int) {
        switch paymentTypeId {
        case 1: self = .sale
        case 2: self = .cancel
        default: return nil
        }
    }
}

/// Where a `payment_status` inbox row's status came from (`inbox.source`).
public enum StatusSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// The worker read the payment's activities list.
    case inquiry
    /// A Paywall callback whose Hash verified.
    case callback
    /// The follow horizon passed before a final status (reason `unresolved`, no status id).
    case horizon
}

/// The state of a followed activity (`payment_follow.state`).
public enum FollowState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Still asked about.
    case following
    /// A final status was written.
    case final
    /// The horizon passed first; a verified final status arriving later still makes it final.
    case unresolved
}

/// What starts following a command's activity, recorded in the same transaction as the
/// command's outcome (``CommandUpdate/follow``).
public struct FollowStart: Sendable, Hashable {
    /// The payment.
    public var paymentRequestId: String
    /// Which activity.
    public var activity: FollowedActivity
    /// Its PaymentRequestActivityId, when the command's answer gave one.
    public var activityId: String?
    /// When the first activities read is due (ms since epoch).
    public var firstPollAt: EpochMillis
    /// The first backoff step (ms).
    public var intervalMillis: Int64
    /// When following stops without a final status (ms since epoch).
    public var horizonAt: EpochMillis

    /// Creates a start.
    public init(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, firstPollAt: EpochMillis,
        intervalMillis: Int64, horizonAt: EpochMillis
    ) {
        self.paymentRequestId = paymentRequestId
        self.activity = activity
        self.activityId = activityId
        self.firstPollAt = firstPollAt
        self.intervalMillis = intervalMillis
        self.horizonAt = horizonAt
    }
}

/// One followed activity (a `payment_follow` row joined with its command).
public struct PaymentFollow: Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// The command whose activity this is.
    public var outboxId: Int64
    /// Its generation.
    public var generation: Int
    /// Its command key.
    public var commandKey: String
    /// Its kind, as stored.
    public var kindName: String
    /// The payment.
    public var paymentRequestId: String
    /// Which activity.
    public var activity: FollowedActivity
    /// Its PaymentRequestActivityId, once known.
    public var activityId: String?
    /// The state.
    public var state: FollowState
    /// When following began.
    public var startedAt: EpochMillis
    /// When it stops without a final status.
    public var horizonAt: EpochMillis
    /// When the next read is due.
    public var nextPollAt: EpochMillis
    /// The current backoff step (ms).
    public var intervalMillis: Int64
    /// The latest status written to the inbox.
    public var lastStatusId: Int?
    /// How far the activity has come by the statuses written (see schema 006).
    public var progress: Int
    /// Reads made so far.
    public var polls: Int

    /// Creates a follow (tests; the store reads rows).
    public init(
        id: Int64, outboxId: Int64, generation: Int, commandKey: String, kindName: String, paymentRequestId: String,
        activity: FollowedActivity, activityId: String? = nil, state: FollowState = .following, startedAt: EpochMillis,
        horizonAt: EpochMillis, nextPollAt: EpochMillis, intervalMillis: Int64, lastStatusId: Int? = nil,
        progress: Int = 0, polls: Int = 0
    ) {
        self.id = id
        self.outboxId = outboxId
        self.generation = generation
        self.commandKey = commandKey
        self.kindName = kindName
        self.paymentRequestId = paymentRequestId
        self.activity = activity
        self.activityId = activityId
        self.state = state
        self.startedAt = startedAt
        self.horizonAt = horizonAt
        self.nextPollAt = nextPollAt
        self.intervalMillis = intervalMillis
        self.lastStatusId = lastStatusId
        self.progress = progress
        self.polls = polls
    }

    static let columns = """
        f.id, f.outbox_id, f.generation, o.command_key, o.kind, f.payment_request_id, f.activity_type, f.activity_id,
        f.state, f.started_at, f.horizon_at, f.next_poll_at, f.interval_ms, f.last_status_id, f.progress, f.polls
        """

    init(row: Row) {
        id = row[0]
        outboxId = row[1]
        generation = row[2]
        commandKey = row[3] ?? ""
        kindName = row[4] ?? ""
        paymentRequestId = row[5]
        activity = FollowedActivity(paymentTypeId: row[6] ?? 1) ?? .sale
        activityId = row[7]
        state = FollowState(rawValue: row[8] ?? "") ?? .following
        startedAt = row[9]
        horizonAt = row[10]
        nextPollAt = row[11]
        intervalMillis = row[12]
        lastStatusId = row[13]
        progress = row[14] ?? 0
        polls = row[15] ?? 0
    }
}

/// One status to tell the merchant (a `payment_status` inbox row), with what the store needs to
/// keep the rows of an activity true: one per distinct status, none behind the progress already
/// written, nothing after the final one.
public struct PaymentStatusEvent: Sendable, Hashable {
    /// `PaymentStatusId` (S1); `nil` only for the horizon's unresolved row.
    public var statusId: Int?
    /// Its name (S1), or `nil`.
    public var statusName: String?
    /// The progress this status stands for (schema 006: 1 created … 4 final).
    public var progress: Int
    /// Whether it is the activity's final status (4, 5, 12).
    public var isFinal: Bool
    /// Where it came from.
    public var source: StatusSource
    /// The activity's PaymentRequestActivityId, when known.
    public var activityId: String?
    /// Paywall's words (a callback's `Message`), verbatim.
    public var message: String?
    /// Other facts as a JSON object text (e.g. the activity row's `Date`).
    public var result: String?

    /// Creates an event.
    public init(
        statusId: Int?, statusName: String?, progress: Int, isFinal: Bool, source: StatusSource,
        activityId: String? = nil, message: String? = nil, result: String? = nil
    ) {
        self.statusId = statusId
        self.statusName = statusName
        self.progress = progress
        self.isFinal = isFinal
        self.source = source
        self.activityId = activityId
        self.message = message
        self.result = result
    }
}

/// What one activities read (or its failure) does to a followed activity.
public struct FollowUpdate: Sendable, Hashable {
    /// What happens to the follow next.
    public enum Next: Sendable, Hashable {
        /// Ask again at `at`, with `intervalMillis` as the current backoff step.
        case pollAgain(at: EpochMillis, intervalMillis: Int64)
        /// Stop: the horizon passed (the events carry the unresolved row).
        case unresolved
    }

    /// The follow row.
    public var followId: Int64
    /// Statuses to write, oldest first (the store skips those already written or behind).
    public var events: [PaymentStatusEvent]
    /// The activity id learned, if any.
    public var activityId: String?
    /// What happens next when no event is final (a final event ends following).
    public var next: Next
    /// Whether a read was made (counts in `polls`).
    public var polled: Bool
    /// The error to show operators, or `nil` after a good read.
    public var lastError: String?
    /// The follow's next read as its claim left it; a row found earlier than this when the read
    /// is recorded was brought forward by a callback meanwhile.
    public var claimedNextPollAt: EpochMillis?

    /// Creates an update.
    public init(
        followId: Int64, events: [PaymentStatusEvent], activityId: String? = nil, next: Next, polled: Bool,
        lastError: String? = nil
    ) {
        self.followId = followId
        self.events = events
        self.activityId = activityId
        self.next = next
        self.polled = polled
        self.lastError = lastError
    }
}

/// What became of a status that arrived by callback.
public enum CallbackRecording: Sendable, Hashable {
    /// Written to the inbox.
    case recorded
    /// Already written, or behind what was written (a duplicate or a late, reordered delivery).
    case duplicate
    /// A final status: not written from the callback (its Hash does not cover the status); the
    /// activity's next read was brought forward to confirm it.
    case confirming
    /// No followed activity of ours matches the payment and activity type.
    case unknownPayment
}

/// How many activities are followed, since when, and how they ended (``OutboxStore/followSummary()``).
public struct FollowSummary: Sendable, Hashable {
    /// Activities still followed.
    public var following: Int
    /// When the oldest of them began (ms since epoch).
    public var oldestStartedAt: EpochMillis?
    /// Activities that reached the horizon without a final status (and have none since).
    public var unresolved: Int
    /// Activities reads made for every row still in the table.
    public var reads: Int

    /// Creates a summary.
    public init(following: Int, oldestStartedAt: EpochMillis?, unresolved: Int, reads: Int = 0) {
        self.following = following
        self.oldestStartedAt = oldestStartedAt
        self.unresolved = unresolved
        self.reads = reads
    }
}
