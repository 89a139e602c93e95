import Foundation
import OutboxModel
import OutboxStore
import PaywallSimulator
import Synchronization
import Testing

@testable import OutboxWorker

/// A request slot is held from the claim until Paywall answers, not until the answer is written
/// (issue 11: a slot held through the group commit left Paywall's side idle, and a drain against a
/// 50 ms round trip reached ~0.7 of `concurrency ÷ round trip`).
@Suite("Request slots: freed by the answer, not by its commit")
struct RequestSlotTests {
    @Test("with --concurrency 1, the next sale goes out while the first one's answer is still being recorded")
    func freedSlotTakesTheNextCommand() async throws {
        let clock = ManualWallClock(start: SystemWallClock().now())
        let paywall = ScriptedPaywall(clock: clock)
        paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        // The first commit waits until Paywall has seen the second sale (at most 30 s of real
        // time: a worker that holds the slot through the commit never sends it, and the test
        // fails instead of hanging).
        let sawSecondWhileRecordingFirst = Verdict()
        let store = MemoryWorkerStore(beforeRecord: { _ in
            guard sawSecondWhileRecordingFirst.value == nil else { return }
            let limit = ContinuousClock.now + .seconds(30)
            while paywall.count("/sale") < 2 && ContinuousClock.now < limit {
                try? await Task.sleep(for: .milliseconds(2))
            }
            let saw = paywall.count("/sale") >= 2
            sawSecondWhileRecordingFirst.set(saw)
        })
        let keys = [Payloads.key(), Payloads.key()]
        for key in keys {
            store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)), now: clock.now())
        }
        try await MemoryStoreWorkerTests.run(store, paywall: paywall, clock: clock, adjust: { $0.concurrency = 1 }) {
            MemoryStoreWorkerTests.outcomes(store).count == keys.count
        }
        #expect(sawSecondWhileRecordingFirst.value == true)
        #expect(MemoryStoreWorkerTests.outcomes(store).allSatisfy { $0.outcome?.outcome == .succeeded })
        #expect(paywall.count("/sale") == 2)
    }

    @Test("a slot is freed once: the release after the answer and the task's end count one slot")
    func releasedOnce() {
        let releases = Mutex(0)
        let slot = RequestSlot { releases.withLock { $0 += 1 } }
        slot.release()
        slot.release()
        #expect(releases.withLock { $0 } == 1)
        #expect(!slot.end(), "the task's end must not free the slot a second time")
        let untouched = RequestSlot { releases.withLock { $0 += 1 } }
        #expect(untouched.end(), "a task that never sent frees its slot when it ends")
        untouched.release()
        #expect(releases.withLock { $0 } == 1)
    }

    @Test("a probe is over when its slot is freed; its task's end leaves the next probe alone")
    func probeBookkeepingGoesWithTheSlot() {
        let t0: EpochMillis = 1_800_000_000_000
        var breaker = CircuitBreaker(backoff: Backoff(baseMillis: 1_000, factor: 2, capMillis: 30_000))
        breaker.record(.unavailable(reason: "down"), now: t0, jitter: 1)
        let state = DispatchState(breaker: breaker)
        func allowance() -> CircuitBreaker.Allowance { state.value.withLock { $0.breaker.allowance(now: t0 + 60_000) } }
        #expect(allowance() == .probe)
        state.value.withLock { $0.breaker.probeStarted() }
        #expect(allowance() != .probe, "one probe at a time")
        // The probe's answer said nothing about Paywall; its slot is freed before it records.
        let first = RequestSlot(probeOf: state) {}
        first.release()
        #expect(allowance() == .probe, "the freed slot may take the next probe")
        state.value.withLock { $0.breaker.probeStarted() }
        // The first task ends (its answer recorded) while the second probe is out.
        #expect(!first.end())
        #expect(allowance() != .probe, "the first task's end let a second probe out beside the one in flight")
        // A probe that never sent (nothing answered) ends its probe when its task ends.
        let second = RequestSlot(probeOf: state) {}
        #expect(second.end())
        #expect(allowance() == .probe)
    }
}

/// What the held commit saw (set once).
private final class Verdict: Sendable {
    private let box = Mutex<Bool?>(nil)
    var value: Bool? { box.withLock { $0 } }
    func set(_ value: Bool) { box.withLock { $0 = value } }
}
