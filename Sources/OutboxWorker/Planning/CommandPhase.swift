import OutboxModel
import OutboxStore
import PaywallClient

/// Where one command is in its life (issue 9, "How"), read from its row alone, so every worker
/// agrees on it after any crash or restart:
///
/// | phase | the row says | may happen next |
/// |---|---|---|
/// | ``toSend`` | not finished, no reconcile mark, no PaymentRequestId of its own | send it (a rollback only through its inquiry, after the 5 s window); wait; revoke it locally; end it without calling Paywall (`expired`, `failed`, `revoked`, ...) |
/// | ``outcomeUnknown(_:)`` | not finished, and an earlier send may have reached Paywall (reconcile mark, or a PaymentRequestId) | ask Paywall first, as the kind's ``UnknownOutcomeResolution`` says: the payment list (sales), an inquiry (rollbacks), a resend Paywall answers "already done" (cancels, approvals); wait; end it `dead`. Never revoked locally, never `expired`, never resent blind; a sale is never `failed` or `succeeded` without asking |
/// | ``final(_:)`` | `succeeded`, `failed`, `expired`, `revoked`, `dead` or `discarded` | nothing: its one outcome is in the inbox |
///
/// ``CommandPlanner`` decides within the phase; ``permits(_:kind:)`` is the table of what each
/// phase allows, and the command processor executes nothing it forbids (it ends such a command
/// `dead` for an operator instead). What happens after Paywall answers is decided by
/// ``OutcomeInterpreter`` (a send), ``SaleReconciliation`` (a sale's lookup: resent only on proof
/// of absence), ``RollbackDecision`` (a rollback's inquiry) and ``ReadFailureRule`` (a read that
/// failed), each table-tested; the processor only carries their results out.
public enum CommandPhase: Sendable, Hashable {
    /// Never reached Paywall, as far as anything recorded says.
    case toSend
    /// An earlier send may have reached Paywall; resolved as the kind says.
    case outcomeUnknown(UnknownOutcomeResolution)
    /// Finished, in this state.
    case final(CommandState)

    /// The phase of `command` as stored (a claimed command is `in_flight`, leased to this worker:
    /// the lease does not change its phase).
    public init(_ command: OutboxCommand) {
        if command.state.isFinal {
            self = .final(command.state)
        } else if command.needsReconcile || command.paywallPaymentRequestId != nil {
            self = .outcomeUnknown(command.kind?.unknownOutcomeResolution ?? .none)
        } else {
            self = .toSend
        }
    }

    /// Whether a command of `kind` in this phase may be given `decision`.
    public func permits(_ decision: PlanDecision, kind: CommandKind) -> Bool {
        let isRollback = kind == .syncSaleRollback || kind == .syncCancelRollback
        switch (self, decision) {
        case (.final, _):
            return false
        case (_, .wait):
            return true
        case (.toSend, .send):
            return !isRollback  // a rollback goes out only after its inquiry (window, status check)
        case (.toSend, .reconcileSale):
            return false  // nothing was sent: there is nothing to look up
        case (.toSend, .inquireBeforeRollback):
            return isRollback
        case (.toSend, .finish), (.toSend, .revokeLocally):
            return true
        case (.outcomeUnknown(let resolution), .send):
            return resolution == .alreadyDoneAnswer
        case (.outcomeUnknown(let resolution), .reconcileSale):
            return resolution == .paymentList
        case (.outcomeUnknown(let resolution), .inquireBeforeRollback):
            return resolution == .inquiry && isRollback
        case (.outcomeUnknown, .revokeLocally):
            return false
        case (.outcomeUnknown(let resolution), .finish(let outcome)):
            switch outcome.outcome {
            case .dead: return true
            case .expired, .revoked, .discarded: return false  // discarded: an operator's verb, never the planner's
            // A sale that may have been charged ends succeeded or failed only from what Paywall
            // says (its lookup), never from the plan; a follow-up's target may show there is
            // nothing it could have done (a sale that ended without a payment).
            case .succeeded, .failed: return resolution != .paymentList
            }
        }
    }

    /// The inbox reason of a command whose planned decision its phase forbids.
    public static let violationReason = InboxReason.lifecycleViolation

    /// `decision` when the phase of `command` permits it; otherwise the command ends `dead` with
    /// reason ``violationReason`` and nothing is executed (a planner defect must never send,
    /// revoke or expire what it should not; an operator looks at it). A command of a kind this
    /// binary does not know is left to the planner (it ends it `failed`).
    public static func guarded(_ decision: PlanDecision, for command: OutboxCommand) -> PlanDecision {
        guard let kind = command.kind else { return decision }
        let phase = CommandPhase(command)
        if phase.permits(decision, kind: kind) { return decision }
        let sent =
            if case .outcomeUnknown = phase {
                "an earlier send may have reached Paywall: look it up before acting"
            } else { "never sent to Paywall" }
        return .finish(
            InboxOutcome(
                .dead, reason: violationReason,
                message: "internal: \(decision.name) is not allowed for a command in phase \(phase.name); not done; \(sent)"))
    }

    /// A short name for logs and messages.
    public var name: String {
        switch self {
        case .toSend: "to_send"
        case .outcomeUnknown(let resolution): "outcome_unknown(\(resolution.rawValue))"
        case .final(let state): "final(\(state.rawValue))"
        }
    }
}

extension PlanDecision {
    /// A short name for logs and messages.
    public var name: String {
        switch self {
        case .send: "send"
        case .reconcileSale: "reconcile_sale"
        case .inquireBeforeRollback: "inquire_before_rollback"
        case .wait: "wait"
        case .finish(let outcome): "finish(\(outcome.outcome.rawValue))"
        case .revokeLocally: "revoke_locally"
        }
    }
}
