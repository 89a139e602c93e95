import OutboxStore

/// Which idle ticks do the worker's chores when there is nothing for time alone to bring.
///
/// Time makes work for a worker only out of rows that are live: a command pending (a retry or a
/// `not_before` coming due, a deadline passing while paused) or in flight (another worker's lease
/// running out), or a payment still followed. Anything else arrives with a commit, and a commit
/// wakes the worker at once (the change watcher, LISTEN/NOTIFY). So when a full tick found no
/// live row and this worker had nothing running and dispatch was not paused, the next ticks only
/// check the database file (the loop still turns: the health check sees it) and one tick per
/// heartbeat interval (``fullEvery(tickMillis:)``: every fourth at the default 500 ms tick) does the
/// chores again: the heartbeat, the storage watch and the shared holds keep their pace. Any
/// other event (a wake-up that is news, a command or read ending) ends the quiet at once.
struct QuietTicks: Sendable, Equatable {
    /// Whether commits wake the worker (a change watcher or the engine's notifications): without
    /// them, ticks are how it finds new commands, and every tick stays full.
    let enabled: Bool
    /// While quiet, one tick in this many does the chores.
    let fullEvery: Int

    /// Ticks of `tickMillis` per heartbeat interval (2 s), at least 1: a quiet worker's heartbeat
    /// keeps its pace whatever the tick.
    static func fullEvery(tickMillis: Int64) -> Int {
        Int(max(1, WorkerStatusRow.heartbeatIntervalMillis / max(1, tickMillis)))
    }

    init(enabled: Bool, tickMillis: Int64) {
        self.enabled = enabled
        fullEvery = Self.fullEvery(tickMillis: tickMillis)
    }

    /// The last full tick found nothing live and nothing running.
    private(set) var quiet = false
    /// Ticks skipped since the last full one.
    private(set) var skipped = 0

    /// A tick came: true when it does the chores (and the claim and follow look after them).
    mutating func tick() -> Bool {
        guard quiet, skipped + 1 < fullEvery else {
            skipped = 0
            return true
        }
        skipped += 1
        return false
    }

    /// What a full tick found: `live` rows in the store, this worker `busy` (commands or reads
    /// running, or dispatch paused).
    mutating func found(live: Bool, busy: Bool) {
        quiet = enabled && !live && !busy
    }

    /// Any event that may bring work (a wake-up that is news, a command or read ending, stopping).
    mutating func activity() {
        quiet = false
        skipped = 0
    }
}
