import OutboxModel

/// Filters for listing commands; nil means "any".
public struct CommandFilter: Sendable, Hashable {
    /// Only these states.
    public var states: Set<CommandState>?
    /// Only these kind names.
    public var kinds: Set<String>?
    /// Only this terminal (TerminalId or TerminalTagCode).
    public var terminal: String?
    /// Created at or after.
    public var createdFrom: EpochMillis?
    /// Created before.
    public var createdBefore: EpochMillis?
    /// command_key (a sale's MerchantUniqueCode) starting with this text, case-insensitive.
    public var keyPrefix: String?
    /// At most this many rows, newest first.
    public var limit: Int

    /// Creates a filter.
    public init(
        states: Set<CommandState>? = nil, kinds: Set<String>? = nil, terminal: String? = nil,
        createdFrom: EpochMillis? = nil, createdBefore: EpochMillis? = nil, keyPrefix: String? = nil, limit: Int = 50
    ) {
        self.states = states
        self.kinds = kinds
        self.terminal = terminal
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.keyPrefix = keyPrefix
        self.limit = limit
    }
}

/// A command with everything an operator needs to understand it.
public struct CommandDetail: Sendable, Hashable {
    /// The command.
    public var command: OutboxCommand
    /// Every send, oldest first.
    public var attempts: [AttemptRow]
    /// Its inbox rows (outcomes and status events), oldest first.
    public var inbox: [InboxRow]
    /// The sale it acts on and the sale's other follow-ups, or a sale's follow-ups.
    public var related: [OutboxCommand]

    /// Creates a detail (the stores make them).
    public init(command: OutboxCommand, attempts: [AttemptRow], inbox: [InboxRow], related: [OutboxCommand]) {
        self.command = command
        self.attempts = attempts
        self.inbox = inbox
        self.related = related
    }
}

/// The one-screen overview of the queue.
public struct QueueOverview: Sendable, Hashable {
    /// Commands per (state, kind).
    public struct Count: Sendable, Hashable {
        public var state: CommandState
        public var kind: String
        public var count: Int

        /// Creates a count.
        public init(state: CommandState, kind: String, count: Int) {
            self.state = state
            self.kind = kind
            self.count = count
        }
    }
    /// Leases one worker holds.
    public struct Lease: Sendable, Hashable {
        public var owner: String
        public var count: Int
        public var earliestExpiry: EpochMillis

        /// Creates a lease summary.
        public init(owner: String, count: Int, earliestExpiry: EpochMillis) {
            self.owner = owner
            self.count = count
            self.earliestExpiry = earliestExpiry
        }
    }

    /// Counts by state and kind.
    public var counts: [Count]
    /// The oldest command not yet finished.
    public var oldestUnfinished: OutboxCommand?
    /// Leases in flight, per owner.
    public var leases: [Lease]
    /// Failed, expired and dead commands finished in the window asked for.
    public var recentTrouble: [CommandState: Int]
    /// The earliest time a pending command becomes due, if later than now.
    public var nextDueAt: EpochMillis?
    /// Pending commands that are due now.
    public var dueNow: Int
    /// Pending commands marked for reconciliation.
    public var awaitingReconcile: Int

    /// Creates an overview.
    public init(
        counts: [Count], oldestUnfinished: OutboxCommand?, leases: [Lease], recentTrouble: [CommandState: Int],
        nextDueAt: EpochMillis?, dueNow: Int, awaitingReconcile: Int
    ) {
        self.counts = counts
        self.oldestUnfinished = oldestUnfinished
        self.leases = leases
        self.recentTrouble = recentTrouble
        self.nextDueAt = nextDueAt
        self.dueNow = dueNow
        self.awaitingReconcile = awaitingReconcile
    }
}
