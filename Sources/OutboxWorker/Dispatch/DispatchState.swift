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
    }

    let value: Mutex<Value>

    init(breaker: CircuitBreaker) {
        value = Mutex(Value(breaker: breaker))
    }

    var breakerView: BreakerView { value.withLock { $0.breaker.view } }
    var breaker: CircuitBreaker { value.withLock { $0.breaker } }

    /// When requests with `credentials` may go again, if a Retry-After hold runs at `now`.
    func heldUntil(_ credentials: CredentialKind, now: EpochMillis) -> EpochMillis? {
        value.withLock { $0.holds[credentials].flatMap { $0 > now ? $0 : nil } }
    }

    /// Reads the Retry-After holds every worker on the database was given (they count here
    /// too), unless the last read is younger than `ifOlderThan` ms (nil: read now). The one
    /// place holds come from the database: the loop before claiming, the tick, and the last
    /// look before a send or read all call it.
    func refreshHolds(from store: OutboxStore, now: EpochMillis, ifOlderThan: Int64? = nil) throws {
        if let ifOlderThan {
            let fresh = value.withLock { now >= $0.holdsReadAt && now - $0.holdsReadAt < ifOlderThan }
            if fresh { return }
        }
        let holds = try store.activeHolds(now: now)
        value.withLock {
            $0.holdsReadAt = now
            for (name, until) in holds {
                if let credentials = CredentialKind(rawValue: name) {
                    $0.holds[credentials] = max($0.holds[credentials] ?? 0, until)
                }
            }
        }
    }

    /// Extends the hold on `credentials` to `until` (never shortens it).
    func hold(_ credentials: CredentialKind, until: EpochMillis) {
        value.withLock { $0.holds[credentials] = max($0.holds[credentials] ?? 0, until) }
    }

    func record(_ signal: BreakerSignal?, now: EpochMillis) {
        value.withLock {
            // No signal says nothing about Paywall. Only the probe's own task ends a probe (the
            // dispatcher does, when that task returns): a command that merely waited or expired
            // while a probe is in flight must not let a second probe out.
            if let signal {
                $0.breaker.record(signal, now: now, jitter: Double.random(in: 0..<1))
            }
        }
    }
}
