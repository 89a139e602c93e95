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
        #expect(!slot.take(), "the task's end must not free the slot a second time")
        let untouched = RequestSlot { releases.withLock { $0 += 1 } }
        #expect(untouched.take(), "a task that never sent frees its slot when it ends")
        untouched.release()
        #expect(releases.withLock { $0 } == 1)
    }
}

/// What the held commit saw (set once).
private final class Verdict: Sendable {
    private let box = Mutex<Bool?>(nil)
    var value: Bool? { box.withLock { $0 } }
    func set(_ value: Bool) { box.withLock { $0 = value } }
}
