import OutboxModel
import Synchronization
import Testing

@testable import OutboxWorker

/// ``CircuitBreaker``: one failure pauses; one probe; after it, a ramp before full concurrency;
/// a pause another worker published is adopted unless Paywall answered since it began.
@Suite struct BreakerRampAndSharingTests {
    static let backoff = Backoff(baseMillis: 1_000, factor: 2, capMillis: 30_000)

    func breaker() -> CircuitBreaker { CircuitBreaker(backoff: Self.backoff) }

    @Test func oneFailurePausesAndOnlyOneProbeGoesOut() {
        var b = breaker()
        #expect(b.allowance(now: t0) == .any)
        b.record(.unavailable(reason: "connection closed"), now: t0, jitter: 0.5)
        guard case .none(let until) = b.allowance(now: t0 + 1) else {
            Issue.record("not paused: \(b.state)")
            return
        }
        #expect(b.allowance(now: until - 1) == .none(until: until))
        #expect(b.allowance(now: until) == .probe)
        b.probeStarted()
        if case .none = b.allowance(now: until + 1) {} else { Issue.record("a second probe went out") }
    }

    /// The ramp: `inFlight` at once until `successes` answers (the probe's included).
    @Test func afterAPauseSendingResumesWithARamp() {
        var b = breaker()
        b.record(.unavailable(reason: "connection refused"), now: t0, jitter: 0)
        let probeAt = t0 + 60_000
        #expect(b.allowance(now: probeAt) == .probe)
        b.probeStarted()
        b.record(.reachable, now: probeAt + 10, jitter: 0)
        let ramp = CircuitBreaker.Ramp()
        for answer in 1..<ramp.successes {
            #expect(b.allowance(now: probeAt + 20) == .limited(ramp.inFlight), "after \(answer) answers")
            b.record(.reachable, now: probeAt + 20, jitter: 0)
        }
        #expect(b.allowance(now: probeAt + 30) == .any)
        #expect(b.view == .closed)
    }

    /// A failure while ramping pauses again and keeps counting failures (a flapping link is
    /// not probed at the first-failure pace).
    @Test func aFailureWhileRampingPausesWithTheFailuresCounted() {
        var b = breaker()
        b.record(.unavailable(reason: "x"), now: t0, jitter: 0)
        // Its probe fails too: two failures.
        guard case .none(let probeAt) = b.allowance(now: t0) else {
            Issue.record("not paused")
            return
        }
        #expect(b.allowance(now: probeAt) == .probe)
        b.probeStarted()
        b.record(.unavailable(reason: "x"), now: probeAt, jitter: 0)
        b.record(.reachable, now: t0 + 100_000, jitter: 0)
        b.record(.unavailable(reason: "y"), now: t0 + 100_001, jitter: 0)
        guard case .open(let until, _, _, let failures) = b.state else {
            Issue.record("not paused: \(b.state)")
            return
        }
        #expect(failures == 3)
        #expect(until - (t0 + 100_001) >= Self.backoff.ceiling(attempt: 3) / 4)
    }

    @Test func aPublishedPauseIsAdoptedUntilItsProbeTime() {
        var b = breaker()
        let pause = CircuitBreaker.SharedPause(reason: "connection closed", since: t0, probeAt: t0 + 4_000)
        let adopted = b.adopt(pause, now: t0 + 100)
        #expect(adopted)
        #expect(b.allowance(now: t0 + 200) == .none(until: t0 + 4_000))
        #expect(b.allowance(now: t0 + 4_000) == .probe)
    }

    @Test func aPauseOlderThanOurLastAnswerIsNotAdopted() {
        var b = breaker()
        b.record(.reachable, now: t0 + 500, jitter: 0)
        let adopted = b.adopt(.init(reason: "x", since: t0, probeAt: t0 + 4_000), now: t0 + 600)
        #expect(!adopted)
        #expect(b.allowance(now: t0 + 700) == .any)
        let later = b.adopt(.init(reason: "x", since: t0 + 501, probeAt: t0 + 4_000), now: t0 + 700)
        #expect(later)
    }

    @Test func aPausedBreakerKeepsItsOwnProbing() {
        var b = breaker()
        b.record(.unavailable(reason: "own"), now: t0, jitter: 0)
        let before = b.state
        let adopted = b.adopt(.init(reason: "other", since: t0 + 1, probeAt: t0 + 1_000_000), now: t0 + 2)
        #expect(!adopted)
        #expect(b.state == before)
    }

    /// A probe time far ahead (a clock stepped back after it was written) waits at most the cap.
    @Test func anAdoptedProbeTimeIsBoundedByTheCap() {
        var b = breaker()
        let adopted = b.adopt(.init(reason: "x", since: t0, probeAt: t0 + 3_600_000), now: t0)
        #expect(adopted)
        #expect(b.allowance(now: t0 + Self.backoff.capMillis) == .probe)
    }

    @Test func anAdoptedPauseThatEndsResumesWithTheRamp() {
        var b = breaker()
        let adopted = b.adopt(.init(reason: "x", since: t0, probeAt: t0 + 4_000), now: t0)
        #expect(adopted)
        b.resumeAdopted()
        #expect(b.allowance(now: t0 + 1) == .limited(CircuitBreaker.Ramp().inFlight))
    }

    /// An operator sees a pause once, however many in-flight sends fail with it, and its end.
    @Test func aPauseIsAnnouncedOnceAndItsEndToo() async {
        let told = Mutex<[DispatchState.Announcement]>([])
        let state = DispatchState(breaker: breaker(), announcer: { a in told.withLock { $0.append(a) } })
        for offset in 0..<8 { await state.record(.unavailable(reason: "connection closed"), now: t0 + Int64(offset)) }
        await state.record(nil, now: t0 + 10)
        await state.record(.reachable, now: t0 + 5_000)
        await state.record(.reachable, now: t0 + 5_001)
        let announcements = told.withLock { $0 }
        #expect(announcements.count == 2, "\(announcements)")
        guard case .paused(let reason, _) = announcements.first else {
            Issue.record("no pause announced: \(announcements)")
            return
        }
        #expect(reason == "connection closed")
        #expect(announcements.last == .resumed)
    }
}
