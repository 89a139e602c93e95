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
    private let onRelease: @Sendable () -> Void

    /// A held slot; `onRelease` runs once, on the first ``release()``.
    init(onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    /// Frees the slot once Paywall has answered (and the breaker has heard the answer, so a claim
    /// for the freed slot sees what the answer said). Later calls do nothing.
    func release() {
        if take() { onRelease() }
    }

    /// True, once, when the slot was still held: the caller frees it without ``release()``'s
    /// callback (the dispatcher, when the task ends).
    func take() -> Bool {
        held.withLock { held in
            defer { held = false }
            return held
        }
    }
}
