import OutboxModel
import OutboxStore

/// What the worker does with a claimed row holding a value it cannot use (``OutboxCommand/defects``:
/// text that is not UTF-8, a time that is not milliseconds between 2000 and 2100, ...). Such rows
/// predate schema 003, which refuses them, or were changed by hand afterwards.
///
/// The rule never lets one bad row stop the worker, and never hides a payment:
/// - never sent (no attempt, no reconcile mark, no PaymentRequestId): it ends `failed` with reason
///   `unreadable_row`, the columns named; nothing is sent.
/// - may have reached Paywall, and only `not_before` / `deadline` are unusable: planning goes on
///   without them (a resend is still bounded by the kind's default deadline from `created_at`),
///   so reconciliation proceeds as for any other row.
/// - may have reached Paywall, and the key, kind, payload or another column is unusable: nothing
///   can be asked of Paywall safely, so it ends `dead` with reason `unreadable_row` for an
///   operator, the message saying that Paywall may have it.
public enum UnreadableRowRule {
    /// The inbox reason both outcomes carry.
    public static let reason = InboxReason.unreadableRow
    /// Columns whose loss does not prevent reconciling a command that may have been sent.
    static let ignorableWhenSent: Set<String> = ["not_before", "deadline"]

    /// Whether a command may have reached Paywall, judged from the worker's own columns.
    public static func mayHaveBeenSent(_ command: OutboxCommand) -> Bool {
        command.needsReconcile || command.attempts > 0 || command.paywallPaymentRequestId != nil
            || command.acceptedAt != nil
            // The columns that say so are themselves unreadable: assume the worst.
            || command.defects.contains { sendColumns.contains($0.column) }
    }

    /// The worker's columns that record whether a command may have been sent.
    static let sendColumns: Set<String> = ["needs_reconcile", "attempts", "paywall_payment_request_id", "accepted_at"]

    /// nil when the row has no defect (or only ones planning can do without); otherwise its end.
    public static func decide(_ command: OutboxCommand) -> PlanDecision? {
        guard !command.defects.isEmpty else { return nil }
        let named = command.defects.map(\.description).joined(separator: "; ")
        if mayHaveBeenSent(command) {
            if command.defects.allSatisfy({ ignorableWhenSent.contains($0.column) }) { return nil }
            return .finish(
                InboxOutcome(
                    .dead, reason: reason,
                    message: "unreadable column(s) (\(named)); an earlier send may have reached Paywall: "
                        + "look the payment up before acting"))
        }
        return .finish(
            InboxOutcome(.failed, reason: reason, message: "unreadable column(s) (\(named)); never sent to Paywall"))
    }
}
