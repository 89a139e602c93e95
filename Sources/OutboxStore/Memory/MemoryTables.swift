import OutboxModel

/// The rows of a ``MemoryWorkerStore``: the same tables as the SQLite schema, as Swift values.
/// Only ever changed under the store's lock, one "transaction" at a time.
struct MemoryTables {
    /// A Retry-After hold (`paywall_hold`).
    struct Hold {
        var until: EpochMillis
        var reason: String
        var setAt: EpochMillis
        var setBy: String
    }

    /// The shared pause (`paywall_pause`) and when it was written.
    struct Pause {
        var pause: PublishedPause
        var setAt: EpochMillis
    }

    /// A followed activity (`payment_follow`) with the columns ``PaymentFollow`` does not carry.
    struct Follow {
        var follow: PaymentFollow
        var lastError: String?
        var finishedAt: EpochMillis?
    }

    /// `outbox`, by row id (ids only grow, so the keys' order is insertion order).
    var commands: [Int64: OutboxCommand] = [:]
    var nextCommandID: Int64 = 1
    /// `attempt`, in insertion order.
    var attempts: [AttemptRow] = []
    var nextAttemptID: Int64 = 1
    /// `inbox`, in id order (ids are handed out under the lock: commit order is id order).
    var inbox: [InboxRow] = []
    var holds: [String: Hold] = [:]
    var pause: Pause?
    var heartbeats: [String: (beat: WorkerHeartbeat, at: EpochMillis)] = [:]
    var follows: [Int64: Follow] = [:]
    var nextFollowID: Int64 = 1
    /// `clock_shift`: steps applied (ms) and when.
    var clockShifts: [(stepMillis: Int64, appliedAt: EpochMillis)] = []

    /// The command rows in id order.
    var orderedCommands: [OutboxCommand] { commands.keys.sorted().compactMap { commands[$0] } }

    /// Appends an inbox row with the next id.
    mutating func appendInbox(_ make: (Int64) -> InboxRow) {
        let id = (inbox.last?.id ?? 0) + 1
        inbox.append(make(id))
    }
}

extension InboxRow {
    /// A row as the memory store writes it.
    init(
        id: Int64, command: OutboxCommand, generation: Int, event: String, outcome: InboxOutcome?,
        paymentStatus: PaymentStatusRow?, createdAt: EpochMillis
    ) {
        self.id = id
        self.outboxID = command.id
        self.commandKey = command.commandKey
        self.kindName = command.kindName
        self.generation = generation
        self.event = event
        self.outcome = outcome
        self.paymentStatus = paymentStatus
        self.createdAt = createdAt
    }
}

extension AttemptRow {
    /// A row as the memory store writes it.
    init(id: Int64, outboxID: Int64, generation: Int, worker: String?, record: AttemptRecord) {
        self.id = id
        self.outboxID = outboxID
        self.generation = generation
        self.worker = worker
        self.record = record
    }
}
