import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import Synchronization

/// What the dispatcher loop and the command tasks share: the breaker and the commands in
/// flight. Guarded by one mutex; held for microseconds, never across I/O.
final class DispatchState: Sendable {
    struct Value {
        var breaker: CircuitBreaker
        var inFlight: Set<Int64> = []
        /// Retry-After holds by credentials (ms since epoch): this worker's and, refreshed on each
        /// tick, every other worker's on the database.
        var holds: [CredentialKind: EpochMillis] = [:]
        /// When the holds were last read from the database.
        var holdsReadAt: EpochMillis = 0
        /// Whether the breaker is paused because of another worker's published pause (it then
        /// resumes when that pause is cleared).
        var pauseAdopted = false
    }

    /// What the database should learn after a breaker change (written outside the lock).
    enum PausePublication: Sendable, Hashable {
        /// This worker paused (or paused again): every worker should stop starting sends.
        case paused(PublishedPause, at: EpochMillis)
        /// This worker's probe got an answer at this time: the shared pause is over.
        case resumed(answeredAt: EpochMillis)
    }

    /// A change of dispatch an operator should see in the log (called outside the lock).
    enum Announcement: Sendable, Hashable {
        /// This worker's own failure paused dispatch.
        case paused(reason: String, probeAt: EpochMillis)
        /// Another worker's published pause paused it.
        case adopted(reason: String, probeAt: EpochMillis)
        /// Paywall answered again (this worker's probe, or the publishing worker's).
        case resumed
    }

    let value: Mutex<Value>
    /// Where breaker changes go (the database, for the other workers); called outside the lock.
    let publisher: @Sendable (PausePublication) async -> Void
    /// Where pauses and resumptions are told (the log); called outside the lock.
    let announcer: @Sendable (Announcement) -> Void

    init(
        breaker: CircuitBreaker, publisher: @escaping @Sendable (PausePublication) async -> Void = { _ in },
        announcer: @escaping @Sendable (Announcement) -> Void = { _ in }
    ) {
        value = Mutex(Value(breaker: breaker))
        self.publisher = publisher
        self.announcer = announcer
    }

    var breakerView: BreakerView { value.withLock { $0.breaker.view } }
    var breaker: CircuitBreaker { value.withLock { $0.breaker } }

    /// When requests with `credentials` may go again, if a Retry-After hold runs at `now`.
    func heldUntil(_ credentials: CredentialKind, now: EpochMillis) -> EpochMillis? {
        value.withLock { $0.holds[credentials].flatMap { $0 > now ? $0 : nil } }
    }

    /// Reads what every worker on the database shares (their Retry-After holds, which count
    /// here too, and a published pause, which this worker adopts unless Paywall answered it
    /// since), unless the last read is younger than `ifOlderThan` ms (nil: read now). The one
    /// place these come from the database: the loop before claiming, the tick, and the last
    /// look before a send or read all call it.
    func refreshShared(from store: any WorkerStore, now: EpochMillis, ifOlderThan: Int64? = nil) async throws {
        if let ifOlderThan {
            let fresh = value.withLock { now >= $0.holdsReadAt && now - $0.holdsReadAt < ifOlderThan }
            if fresh { return }
        }
        let shared = try await store.sharedDispatch(now: now)
        let announcement: Announcement? = value.withLock {
            $0.holdsReadAt = now
            for (name, until) in shared.holds {
                if let credentials = CredentialKind(rawValue: name) {
                    $0.holds[credentials] = max($0.holds[credentials] ?? 0, until)
                }
            }
            if let pause = shared.pause {
                let adopted = $0.breaker.adopt(
                    .init(reason: pause.reason, since: pause.since, probeAt: pause.probeAt), now: now)
                if adopted {
                    $0.pauseAdopted = true
                    if case .open(let until, _, _, _) = $0.breaker.state {
                        return .adopted(reason: pause.reason, probeAt: until)
                    }
                }
            } else if $0.pauseAdopted {
                $0.pauseAdopted = false
                $0.breaker.resumeAdopted()
                return .resumed
            }
            return nil
        }
        if let announcement { announcer(announcement) }
    }

    /// Extends the hold on `credentials` to `until` (never shortens it).
    func hold(_ credentials: CredentialKind, until: EpochMillis) {
        value.withLock { $0.holds[credentials] = max($0.holds[credentials] ?? 0, until) }
    }

    /// Applies what an outcome said about Paywall, and hands what the other workers should
    /// learn of it (a pause, its end) to the publisher.
    func record(_ signal: BreakerSignal?, now: EpochMillis) async {
        let wasPaused = value.withLock { $0.breaker.isPaused }
        guard let publication = change(signal, now: now) else { return }
        await publisher(publication)
        switch publication {
        case .paused(let pause, _) where !wasPaused: announcer(.paused(reason: pause.reason, probeAt: pause.probeAt))
        case .resumed: announcer(.resumed)
        case .paused: break
        }
    }

    /// The breaker change itself (under the lock), and what it means for the other workers.
    func change(_ signal: BreakerSignal?, now: EpochMillis) -> PausePublication? {
        value.withLock {
            // No signal says nothing about Paywall. Only the probe's own task ends a probe (the
            // dispatcher does, when that task returns): a command that merely waited or expired
            // while a probe is in flight must not let a second probe out.
            guard let signal else { return nil }
            let wasPaused = $0.breaker.isPaused
            $0.breaker.record(signal, now: now, jitter: Double.random(in: 0..<1))
            switch (signal, $0.breaker.state) {
            case (.unavailable, .open(let until, let reason, let since, _)):
                // Our own failure: our own probing from now on.
                $0.pauseAdopted = false
                return .paused(PublishedPause(reason: reason, since: since, probeAt: until), at: now)
            case (.reachable, _) where wasPaused:
                $0.pauseAdopted = false
                return .resumed(answeredAt: now)
            default:
                return nil
            }
        }
    }

    /// Writes a breaker change for the other workers (a failure to write is logged: each worker
    /// still pauses on its own failures).
    static func publish(_ publication: PausePublication, to store: any WorkerStore, worker: String, logger: Logger) async {
        do {
            switch publication {
            case .paused(let pause, let at):
                try await store.publishPause(pause, by: worker, now: at)
            case .resumed(let answeredAt):
                _ = try await store.clearPause(answeredAt: answeredAt)
            }
        } catch {
            logger.error("Could not share the dispatch pause with other workers", metadata: ["outbox.error": "\(error)"])
        }
    }

    /// Logs a pause or its end at notice level: a pause is something an operator must see.
    static func announce(_ announcement: Announcement, logger: Logger) {
        switch announcement {
        case .paused(let reason, let probeAt):
            logger.notice(
                "Dispatch paused: Paywall cannot be used; no new sends until a probe gets an answer",
                metadata: ["outbox.pause.reason": "\(reason)", "outbox.pause.probe_at": "\(isoTime(probeAt))"])
        case .adopted(let reason, let probeAt):
            logger.notice(
                "Dispatch paused: another worker on this database found Paywall unusable",
                metadata: ["outbox.pause.reason": "\(reason)", "outbox.pause.probe_at": "\(isoTime(probeAt))"])
        case .resumed:
            logger.notice("Dispatch resumed: Paywall answers again")
        }
    }
}
