import OutboxModel

/// Pauses dispatch while Paywall cannot be used (connectivity, credentials), probing with
/// backoff. Pure: time and jitter are inputs. Commands waiting behind an open breaker spend
/// none of their attempts.
public struct CircuitBreaker: Sendable, Hashable {
    /// The breaker's state.
    public enum State: Sendable, Hashable {
        /// Sending normally.
        case closed
        /// Paused until `until`.
        case open(until: EpochMillis, reason: String, since: EpochMillis, failures: Int)
        /// One probe is allowed (or in flight); the rest wait for its result.
        case halfOpen(reason: String, since: EpochMillis, failures: Int, probeInFlight: Bool)
    }

    /// How many commands the dispatcher may claim now.
    public enum Allowance: Sendable, Hashable {
        /// As many as there is room for.
        case any
        /// Exactly one, the probe.
        case probe
        /// None until `until`.
        case none(until: EpochMillis)
    }

    /// The current state.
    public private(set) var state: State = .closed
    /// The probing backoff.
    public var backoff: Backoff

    /// Creates a closed breaker.
    public init(backoff: Backoff) {
        self.backoff = backoff
    }

    /// What may be claimed at `now`; moves an expired pause to half-open.
    public mutating func allowance(now: EpochMillis) -> Allowance {
        switch state {
        case .closed:
            return .any
        case .open(let until, let reason, let since, let failures):
            guard now >= until else { return .none(until: until) }
            state = .halfOpen(reason: reason, since: since, failures: failures, probeInFlight: false)
            return .probe
        case .halfOpen(_, _, _, let probeInFlight):
            return probeInFlight ? .none(until: now + backoff.baseMillis) : .probe
        }
    }

    /// The view a plan gets for a command claimed under the current state.
    public var view: BreakerView {
        switch state {
        case .closed: .closed
        case .halfOpen: .probing
        case .open(let until, let reason, _, _): .open(until: until, reason: reason)
        }
    }

    /// A probe was claimed and is being sent.
    public mutating func probeStarted() {
        if case .halfOpen(let reason, let since, let failures, _) = state {
            state = .halfOpen(reason: reason, since: since, failures: failures, probeInFlight: true)
        }
    }

    /// Applies what an outcome said about Paywall.
    public mutating func record(_ signal: BreakerSignal, now: EpochMillis, jitter: Double) {
        switch signal {
        case .reachable:
            state = .closed
        case .unavailable(let reason):
            let (since, failures): (EpochMillis, Int) =
                switch state {
                case .closed: (now, 0)
                case .open(_, _, let since, let failures), .halfOpen(_, since: let since, let failures, _): (since, failures)
                }
            // Never shorter than a quarter of the ceiling, so a dead link is not hammered.
            let ceiling = backoff.ceiling(attempt: failures + 1)
            let wait = max(ceiling / 4, backoff.delay(attempt: failures + 1, unit: jitter))
            state = .open(until: now + wait, reason: reason, since: since, failures: failures + 1)
        }
    }

    /// The wall clock stepped back by `millis`: the probe time moves back with it.
    public mutating func shift(backBy millis: Int64) {
        if case .open(let until, let reason, let since, let failures) = state {
            state = .open(until: until - millis, reason: reason, since: since - millis, failures: failures)
        }
    }

    /// A probe ended without a signal (e.g. it was a rule that needed no call).
    public mutating func probeFinishedWithoutSignal() {
        if case .halfOpen(let reason, let since, let failures, true) = state {
            state = .halfOpen(reason: reason, since: since, failures: failures, probeInFlight: false)
        }
    }
}
