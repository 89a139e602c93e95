import OutboxModel

/// Pauses dispatch while Paywall cannot be used (connectivity, credentials, a connection closed
/// after the request was written), probing with backoff. Pure: time and jitter are inputs.
/// Commands waiting behind an open breaker spend none of their attempts.
///
/// After the first failure no new send starts until one probe succeeds, so only the sends
/// already in flight are exposed to one outage. A pause another worker on the database
/// published is adopted (``adopt(_:now:)``), unless this worker has heard from Paywall since it
/// began. After a pause, sending resumes with a ramp: at most `ramp.inFlight` sends at once
/// until `ramp.successes` answers in a row, then full concurrency.
public struct CircuitBreaker: Sendable, Hashable {
    /// The breaker's state.
    public enum State: Sendable, Hashable {
        /// Sending normally.
        case closed
        /// Paused until `until`.
        case open(until: EpochMillis, reason: String, since: EpochMillis, failures: Int)
        /// One probe is allowed (or in flight); the rest wait for its result.
        case halfOpen(reason: String, since: EpochMillis, failures: Int, probeInFlight: Bool)
        /// Paywall answered again after a pause: a few sends at once until `remaining` more
        /// answers came back; a failure now pauses with the failures counted so far.
        case ramping(remaining: Int, failures: Int)
    }

    /// How sending resumes after a pause.
    public struct Ramp: Sendable, Hashable {
        /// Sends at once while ramping.
        public var inFlight: Int = 2
        /// Answers (the probe's included) before full concurrency.
        public var successes: Int = 4
        public init() {}
    }

    /// A pause published in the database by a worker (possibly this one).
    public struct SharedPause: Sendable, Hashable {
        public var reason: String
        /// When the outage began (the publishing worker's first failure).
        public var since: EpochMillis
        /// When that worker probes next.
        public var probeAt: EpochMillis
        public init(reason: String, since: EpochMillis, probeAt: EpochMillis) {
            self.reason = reason
            self.since = since
            self.probeAt = probeAt
        }
    }

    /// How many commands the dispatcher may claim now.
    public enum Allowance: Sendable, Hashable {
        /// As many as there is room for.
        case any
        /// Exactly one, the probe.
        case probe
        /// At most this many in flight (ramping after a pause).
        case limited(Int)
        /// None until `until`.
        case none(until: EpochMillis)
    }

    /// The current state.
    public private(set) var state: State = .closed
    /// The probing backoff.
    public var backoff: Backoff
    /// How sending resumes after a pause.
    public var ramp = Ramp()
    /// When Paywall last answered anything (a pause that began before it is old news).
    public private(set) var lastReachableAt: EpochMillis?

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
        case .ramping:
            return .limited(max(1, ramp.inFlight))
        }
    }

    /// Whether dispatch is paused (open or half-open).
    public var isPaused: Bool {
        switch state {
        case .open, .halfOpen: true
        case .closed, .ramping: false
        }
    }

    /// The view a plan gets for a command claimed under the current state.
    public var view: BreakerView {
        switch state {
        case .closed, .ramping: .closed
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
            lastReachableAt = max(lastReachableAt ?? now, now)
            switch state {
            case .closed:
                break
            case .open(_, _, _, let failures), .halfOpen(_, _, let failures, _):
                state = ramp.successes > 1 ? .ramping(remaining: ramp.successes - 1, failures: failures) : .closed
            case .ramping(let remaining, let failures):
                state = remaining > 1 ? .ramping(remaining: remaining - 1, failures: failures) : .closed
            }
        case .unavailable(let reason):
            // Already paused: this failure is one of the sends that were in flight when the
            // pause began (none starts while it lasts), so the same outage: its probe time
            // stands. Only a failed probe (half-open) lengthens the pause. (Counting each of
            // eight in-flight failures as a failed probe pushed the first probe ~50 s out.)
            if case .open = state { return }
            let (since, failures): (EpochMillis, Int) =
                switch state {
                case .closed: (now, 0)
                case .ramping(_, let failures): (now, failures)
                case .open(_, _, let since, let failures), .halfOpen(_, since: let since, let failures, _): (since, failures)
                }
            // Never shorter than a quarter of the ceiling, so a dead link is not hammered.
            let ceiling = backoff.ceiling(attempt: failures + 1)
            let wait = max(ceiling / 4, backoff.delay(attempt: failures + 1, unit: jitter))
            state = .open(until: now + wait, reason: reason, since: since, failures: failures + 1)
        }
    }

    /// Adopts a pause another worker published: true when this breaker paused because of it.
    /// Ignored while this breaker is already paused (its own probing goes on), and when Paywall
    /// answered this worker after the pause began. The probe time is taken as published, but
    /// never further than the backoff cap from `now` (a clock that stepped back).
    public mutating func adopt(_ pause: SharedPause, now: EpochMillis) -> Bool {
        guard !isPaused, pause.since > (lastReachableAt ?? .min) else { return false }
        let failures: Int
        if case .ramping(_, let counted) = state { failures = counted } else { failures = 0 }
        let until = min(max(pause.probeAt, now), now + backoff.capMillis)
        state = .open(until: until, reason: pause.reason, since: pause.since, failures: failures + 1)
        return true
    }

    /// The pause this breaker adopted is over (the worker that published it reached Paywall):
    /// resume with the ramp.
    public mutating func resumeAdopted() {
        switch state {
        case .open(_, _, _, let failures), .halfOpen(_, _, let failures, _):
            state = .ramping(remaining: max(1, ramp.successes), failures: failures)
        case .closed, .ramping:
            break
        }
    }

    /// The wall clock stepped back by `millis`: the probe time moves back with it.
    public mutating func shift(backBy millis: Int64) {
        if case .open(let until, let reason, let since, let failures) = state {
            state = .open(until: until - millis, reason: reason, since: since - millis, failures: failures)
        }
        lastReachableAt = lastReachableAt.map { $0 - millis }
    }

    /// A probe ended without a signal (e.g. it was a rule that needed no call).
    public mutating func probeFinishedWithoutSignal() {
        if case .halfOpen(let reason, let since, let failures, true) = state {
            state = .halfOpen(reason: reason, since: since, failures: failures, probeInFlight: false)
        }
    }
}
