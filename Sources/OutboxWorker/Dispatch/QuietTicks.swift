/// Which idle ticks do the worker's chores when there is nothing for time alone to bring.
///
/// Time makes work for a worker only out of rows that are live: a command pending (a retry or a
/// `not_before` coming due, a deadline passing while paused) or in flight (another worker's lease
/// running out), or a payment still followed. Anything else arrives with a commit, and a commit
/// wakes the worker at once (the change watcher, LISTEN/NOTIFY). So when a full tick found no
/// live row and this worker had nothing running and dispatch was not paused, the next ticks only
/// check the database file (the loop still turns: the health check sees it), except when the
/// heartbeat is due (by the monotonic clock, so a slow machine's late ticks cannot stretch it;
/// every fourth tick at the default 500 ms): that tick reads whether anything became live and,
/// if nothing did, does only what needs no live row (a clock step, the checkpoint and storage
/// watch, the heartbeat; ``Housekeeping/tick(now:quiet:)``), else a full tick. Any other event
/// (a wake-up that is news, a command or read ending) ends the quiet at once.
struct QuietTicks: Sendable, Equatable {
    /// Whether commits wake the worker (a change watcher or the engine's notifications): without
    /// them, ticks are how it finds new commands, and every tick stays full.
    let enabled: Bool

    /// The last full tick found nothing live and nothing running.
    private(set) var quiet = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// A tick came: true when it does the chores (and the claim and follow look after them).
    /// `heartbeatDue`: the heartbeat interval has passed since the last beat.
    func tick(heartbeatDue: Bool) -> Bool {
        !quiet || heartbeatDue
    }

    /// What a full tick found, after its turn's claim: `live` rows in the store, this worker
    /// `busy` (commands or reads running, or dispatch paused).
    mutating func found(live: Bool, busy: Bool) {
        quiet = enabled && !live && !busy
    }

    /// Any event that may bring work (a wake-up that is news, a command or read ending, stopping).
    mutating func activity() {
        quiet = false
    }
}
