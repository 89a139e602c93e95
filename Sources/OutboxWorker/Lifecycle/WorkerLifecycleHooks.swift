/// What the worker tells its supervisor about itself, as hooks the dispatch loop calls (the
/// `worker` executable wires them to systemd's notification socket, ``SystemdNotifier``).
/// Embedders and tests leave them empty.
public struct WorkerLifecycleHooks: Sendable {
    /// Called once, when start-up is over: the database is open and migrated, and the dispatch
    /// loop is about to make its first claim.
    public var ready: @Sendable () -> Void
    /// Called once, when graceful shutdown begins (the loop stops claiming).
    public var stopping: @Sendable () -> Void
    /// When set, the dispatch loop calls `ping` about every `interval` for as long as it runs
    /// (paused dispatch included: the pings come from the loop, not from Paywall's answers). A
    /// loop that hangs stops pinging.
    public var watchdog: Watchdog?

    /// A liveness ping and how often the loop should send it.
    public struct Watchdog: Sendable {
        /// The time between two pings.
        public var interval: Duration
        /// The ping.
        public var ping: @Sendable () -> Void

        /// Creates a watchdog.
        public init(interval: Duration, ping: @escaping @Sendable () -> Void) {
            self.interval = interval
            self.ping = ping
        }
    }

    /// Creates hooks.
    public init(
        ready: @escaping @Sendable () -> Void = {}, stopping: @escaping @Sendable () -> Void = {},
        watchdog: Watchdog? = nil
    ) {
        self.ready = ready
        self.stopping = stopping
        self.watchdog = watchdog
    }

    /// No hooks.
    public static let none = WorkerLifecycleHooks()
}
