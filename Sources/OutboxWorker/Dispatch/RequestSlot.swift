import Synchronization

/// One of `--concurrency` slots, held by a command task from its claim until its send to Paywall
/// is answered (``CommandProcessor/sendMarked(_:kind:request:paymentRequestId:logger:)``: a
/// first send, or a resend after reconciling), or else until the task ends: inquiries, lookups
/// and rollbacks hold it through their record, the safe direction. The answer's
/// database write does not hold it: that commit waits for the group commit (a few ms, more when
/// many answers arrive at once), and a slot held through it would leave Paywall's side idle, so a
/// drain against a 50 ms round trip reached only ~0.7 of `concurrency ÷ round trip` (issue 11).
/// The task keeps its lease and its place among the tasks the loop waits for at shutdown until it
/// has recorded.
///
/// The task finds its slot as ``current`` (a task-local the dispatcher sets), so every path to
/// ``CommandProcessor/sendMarked(_:kind:request:paymentRequestId:logger:)`` frees it without
/// passing it along. Tasks a command task starts inherit it (the group commit's write does):
/// only code after the command's last request may call ``release()``.
final class RequestSlot: Sendable {
    @TaskLocal static var current: RequestSlot?

    private let held = Mutex(true)
    /// The dispatch state whose half-open probe this task is, if it is one.
    private let probe: DispatchState?
    private let onRelease: @Sendable () -> Void

    /// A held slot; `onRelease` runs once, on the first ``release()``. When the task is the
    /// breaker's half-open probe (`probeOf`), the probe is over when its slot is: if it said
    /// nothing about Paywall, the next command probes (never stuck half-open). That bookkeeping
    /// happens at the release, or at ``end()`` for a task that never released: never at the end
    /// of a task whose slot, freed earlier, may already hold the next probe (clearing that one's
    /// flag would let a second probe out beside it).
    init(probeOf probe: DispatchState? = nil, onRelease: @escaping @Sendable () -> Void) {
        self.probe = probe
        self.onRelease = onRelease
    }

    /// Frees the slot once Paywall has answered (and the breaker has heard the answer, so a claim
    /// for the freed slot sees what the answer said). Later calls do nothing.
    func release() {
        guard take() else { return }
        probeOver()
        onRelease()
    }

    /// The task's end: true when it still held the slot (freed now, without the callback),
    /// false when ``release()`` had freed it.
    func end() -> Bool {
        guard take() else { return false }
        probeOver()
        return true
    }

    private func take() -> Bool {
        held.withLock { held in
            defer { held = false }
            return held
        }
    }

    private func probeOver() {
        probe?.value.withLock { $0.breaker.probeFinishedWithoutSignal() }
    }
}
