import Foundation
import OutboxModel
import OutboxStore

/// The pure decision of what to do with one claimed command now: a function of the command,
/// its related commands, the clock and the breaker. Every ordering, deadline and rollback rule
/// of the worker lives here and is tested table by table without I/O.
public struct CommandPlanner: Sendable {
    /// The configuration the rules read (deadlines, rollback margin).
    public var configuration: WorkerConfiguration

    /// How long to wait before looking again at something another worker is doing (ms).
    public static let shortWaitMillis: Int64 = 250
    /// How long a follow-up waits for a sale that is not in the outbox yet (ms after creation).
    public static let missingSaleGraceMillis: Int64 = 30_000
    /// How far ahead of the worker's clock a rollback's `created_at` is still believed as the
    /// start of Paywall's window (ms): clock skew between the producer's machine and the
    /// worker's. Our choice (``ownCreation(_:)``).
    public static let createdAtSkewMillis: Int64 = 30_000

    /// Creates a planner.
    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
    }

    /// Decides what to do with `input.command` now.
    public func plan(_ input: PlanInput) -> PlanDecision {
        let command = input.command
        if let unreadable = UnreadableRowRule.decide(command) { return unreadable }
        guard let kind = command.kind else {
            return .finish(InboxOutcome(.failed, reason: .validation, message: "unknown kind \(command.kindName)"))
        }
        if let unresolved = unknownOutcome(input, kind: kind) { return unresolved }
        switch kind.role {
        case .sale: return planSale(input)
        case .standalone: return gates(input) ?? .send(paymentRequestId: nil)
        case .followUp:
            // A follow-up not due yet does nothing yet, not even revoke its sale: a cancel queued
            // with a later not_before means "let the sale go, cancel it then".
            if let notBefore = command.notBefore, input.now < notBefore {
                return .wait(until: notBefore, reason: "waiting: not_before")
            }
            switch kind {
            case .syncCancelRollback: return planCancelRollback(input)
            case .syncSaleRollback: return planSaleRollback(input)
            default: return planCancel(input)
            }
        }
    }

    // MARK: - An earlier send may have landed

    /// A command other than a sale whose earlier send may have reached Paywall: its kind's
    /// ``UnknownOutcomeResolution`` decides. Not deduplicated by Paywall (pairing) → `dead` /
    /// `outcome_unknown`, never resent. A resend answered "already done" (cancel, approve) → it
    /// may go again, but never after its deadline (then `dead` / `outcome_unknown`: nothing
    /// proves it did not land). Rollbacks are resolved by their inquiry (``planSaleRollback``).
    /// Sales reconcile through the payment list (``SaleReconciliation``). Nil: plan as usual.
    func unknownOutcome(_ input: PlanInput, kind: CommandKind) -> PlanDecision? {
        let command = input.command
        guard case .outcomeUnknown = CommandPhase(command) else { return nil }
        switch kind.unknownOutcomeResolution {
        case .paymentList, .inquiry:
            return nil
        case .none:
            return .finish(
                InboxOutcome(
                    .dead, reason: .outcomeUnknown,
                    message: "an earlier send may have reached Paywall, which does not deduplicate \(kind.rawValue): "
                        + "not resent; check at Paywall before queuing it again"))
        case .alreadyDoneAnswer:
            if let deadline = configuration.deadline(of: command), input.now > deadline {
                return .finish(
                    InboxOutcome(
                        .dead, reason: .outcomeUnknown,
                        message: "an earlier send may have reached Paywall and its deadline (\(isoTime(deadline))) has "
                            + "passed: not resent late; check at Paywall"))
            }
            return nil
        }
    }

    // MARK: - Gates shared by every kind

    /// Deadline, not-before and breaker, in that order; nil when the command may go now.
    func gates(_ input: PlanInput) -> PlanDecision? {
        let command = input.command
        // A command that may already be at Paywall is never "expired": that would hide a
        // payment that happened. Only commands that certainly never arrived (phase to send) expire.
        if CommandPhase(command) == .toSend, let deadline = configuration.deadline(of: command), input.now > deadline {
            return .finish(
                InboxOutcome(
                    .expired, reason: .deadlinePassed,
                    message: "not delivered before its deadline (\(isoTime(deadline))); never sent"))
        }
        if let notBefore = command.notBefore, input.now < notBefore {
            return .wait(until: notBefore, reason: "waiting: not_before")
        }
        if case .open(let until, let reason) = input.breaker {
            return .wait(
                until: configuration.pausedDue(command, max(until, input.now)),
                reason: "waiting: Paywall unavailable (\(reason))")
        }
        return nil
    }

    // MARK: - Sales

    /// Whether a sale certainly never reached Paywall (so it may still be revoked locally).
    static func neverSent(_ sale: OutboxCommand) -> Bool {
        sale.state == .pending && !sale.needsReconcile && sale.paywallPaymentRequestId == nil
    }

    func planSale(_ input: PlanInput) -> PlanDecision {
        let sale = input.command
        // A cancel or rollback with a not_before still ahead does not withdraw the sale: the
        // producer asked for the sale to go first.
        let revokers = input.related.filter {
            revokesSale($0) && !$0.state.isFinal && ($0.notBefore ?? 0) <= input.now
        }
        if !sale.needsReconcile && sale.paywallPaymentRequestId == nil && !revokers.isEmpty {
            // Never send a sale the merchant has already withdrawn. Only this task may revoke the
            // sale (it alone knows the sale was not sent); it takes along the follow-ups nobody
            // holds or this worker holds. One held by another worker: let that one go first.
            let takeable = revokers.filter { $0.state == .pending || $0.leaseOwner == input.owner }
            if takeable.count < revokers.count {
                return .wait(until: input.now + Self.shortWaitMillis, reason: "waiting: revocation in progress")
            }
            // A follow-up that may itself have reached Paywall (it cannot have, with its sale
            // never sent, but its row says so) is not ended with the sale: it resolves its own
            // outcome and then finds the sale revoked.
            return .revokeLocally(others: takeable.filter { CommandPhase($0) == .toSend }.map(\.id))
        }
        if let gate = gates(input) { return gate }
        return CommandPhase(sale) == .toSend ? .send(paymentRequestId: nil) : .reconcileSale
    }

    func revokesSale(_ command: OutboxCommand) -> Bool {
        switch command.kind {
        case .asyncCancel, .syncCancel, .syncSaleRollback: true
        default: false
        }
    }

    // MARK: - Follow-ups

    /// The payment a follow-up acts on, or what to do while it is not known.
    enum Target: Hashable {
        case payment(String, sale: OutboxCommand?)
        case decided(PlanDecision)
    }

    func target(_ input: PlanInput, nothingTo verb: String) -> Target {
        let command = input.command
        if let paymentRequestId = command.paymentRequestId {
            return .payment(paymentRequestId, sale: input.sale)
        }
        guard let sale = input.sale else {
            // The grace counts from created_at. One far ahead of the worker's clock (a producer's
            // clock, or ours stepped back) keeps the follow-up waiting, visibly, until then:
            // ending it `sale_not_found` while its sale may still arrive could let that sale go
            // out uncancelled.
            if input.now < command.createdAt + Self.missingSaleGraceMillis {
                return .decided(
                    .wait(until: input.now + 1_000, reason: "waiting: sale \(command.saleKey ?? "?") not in the outbox yet"))
            }
            return .decided(
                .finish(
                    InboxOutcome(
                        .failed, reason: .saleNotFound,
                        message: "no sale with MerchantUniqueCode \(command.saleKey ?? "?") in this outbox")))
        }
        if let paymentRequestId = sale.paywallPaymentRequestId {
            return .payment(paymentRequestId, sale: sale)
        }
        switch sale.state {
        case .pending where Self.neverSent(sale):
            // Revoking the sale ends this command `revoked` too: only while it is itself unsent.
            // Otherwise the sale's own task revokes it (this command is among its revokers).
            if CommandPhase(command) == .toSend { return .decided(.revokeLocally(others: [sale.id])) }
            return .decided(
                .wait(
                    until: max(input.now + 2 * Self.shortWaitMillis, sale.dueAt),
                    reason: "waiting: sale \(sale.commandKey) to be revoked by its own task"))
        case .pending, .inFlight:
            // Twice the sale's own short wait, so a sale and its follow-up held by two workers
            // do not keep missing each other: the sale is looked at again first.
            return .decided(
                .wait(
                    until: max(input.now + 2 * Self.shortWaitMillis, sale.state == .pending ? sale.dueAt : 0),
                    reason: "waiting: sale \(sale.commandKey) has no PaymentRequestId yet"))
        case .dead:
            return .decided(
                .finish(
                    InboxOutcome(
                        .failed, reason: .saleDead,
                        message: "the sale ended dead; whether Paywall has it is unconfirmed: inspect it before acting")))
        case .failed, .expired, .revoked, .discarded, .succeeded:
            return .decided(
                .finish(
                    InboxOutcome(
                        .failed, reason: verb == "cancel" ? .nothingToCancel : .nothingToRollBack,
                        message: "the sale ended \(sale.state.rawValue) without a payment: nothing to \(verb.replacingOccurrences(of: "_", with: " "))")))
        }
    }

    /// Commands about the same payment go in order: a follow-up waits for every earlier
    /// unfinished follow-up of its payment. Unrelated commands never wait for each other.
    func earlierFollowUp(_ input: PlanInput) -> PlanDecision? {
        guard
            let earlier = input.related.first(where: {
                $0.id < input.command.id && !$0.state.isFinal && $0.kind?.role == .followUp
            })
        else { return nil }
        let until = max(input.now + Self.shortWaitMillis, earlier.state == .pending ? earlier.dueAt : 0)
        return .wait(until: until, reason: "waiting: earlier command \(earlier.id) on the same payment")
    }

    func planCancel(_ input: PlanInput) -> PlanDecision {
        switch target(input, nothingTo: "cancel") {
        case .decided(let decision): return decision
        case .payment(let paymentRequestId, _):
            return gates(input) ?? earlierFollowUp(input) ?? .send(paymentRequestId: paymentRequestId)
        }
    }

    func planSaleRollback(_ input: PlanInput) -> PlanDecision {
        switch target(input, nothingTo: "roll_back") {
        case .decided(let decision): return decision
        case .payment(let paymentRequestId, let sale):
            if let gate = gates(input) ?? earlierFollowUp(input) { return gate }
            // Paywall refuses a revoke in the first 5 s after it accepted the sale. A sale that
            // never went through this outbox (named only by payment_request_id) has no local
            // acceptance time: the earliest moment this outbox knew of it, the rollback's own
            // creation, is the lower bound (the sale was accepted before the producer could know
            // its PaymentRequestId); see ``ownCreation(_:)`` for one in the future.
            let accepted = sale?.acceptedAt ?? ownCreation(input)
            return window(input, accepted: accepted, paymentRequestId: paymentRequestId)
        }
    }

    /// A cancel rollback revokes the latest cancel of its payment queued *before* it. Cancels
    /// queued after it are not its target: they wait for it (``earlierFollowUp``), and it never
    /// waits for them, so the two can never wait on each other (issue 9, item 13).
    func planCancelRollback(_ input: PlanInput) -> PlanDecision {
        switch target(input, nothingTo: "roll_back") {
        case .decided(let decision): return decision
        case .payment(let paymentRequestId, _):
            let command = input.command
            let earlier = input.related.filter {
                ($0.kind == .asyncCancel || $0.kind == .syncCancel) && $0.id < command.id
            }
            let revoked = earlier.last
            if let revoked, [.failed, .expired, .revoked, .discarded].contains(revoked.state) {
                // The cancel it would revoke never took effect: there is nothing to roll back.
                return .finish(
                    InboxOutcome(
                        .failed, reason: .nothingToRollBack,
                        message: "the cancel it revokes (#\(revoked.id)) ended \(revoked.state.rawValue) without taking effect"))
            }
            if let revoked, !revoked.state.isFinal {
                // Revoke locally only what certainly never left, and only while the rollback
                // itself never left either: a rollback that may be at Paywall is resolved by its
                // inquiry, never reported as "never sent".
                if Self.neverSent(revoked) && !UnreadableRowRule.mayHaveBeenSent(command) {
                    return .revokeLocally(others: [revoked.id])
                }
                return .wait(
                    until: max(input.now + Self.shortWaitMillis, revoked.state == .pending ? revoked.dueAt : 0),
                    reason: "waiting: cancel \(revoked.id) in flight")
            }
            if let gate = gates(input) ?? earlierFollowUp(input) { return gate }
            // The window counts from Paywall's acceptance of the cancel being revoked; when that
            // time is unknown, its end in this outbox (later, so safe); a cancel sent elsewhere:
            // the rollback's own creation (``ownCreation(_:)``).
            let accepted = revoked.map { $0.acceptedAt ?? $0.finishedAt ?? ownCreation(input) } ?? ownCreation(input)
            return window(input, accepted: accepted, paymentRequestId: paymentRequestId)
        }
    }

    /// The rollback's own creation, as the acceptance time of an activity this outbox never sent,
    /// unless it is further ahead of the worker's clock than skew (``createdAtSkewMillis``): a
    /// producer may write a `created_at` up to 2100 (and a clock stepped back puts every earlier
    /// one ahead), and counting the window from it would hold the rollback until then (the row
    /// fuzz found it for both rollback kinds). Such a rollback counts as created a full window
    /// ago, so it asks Paywall at once; one Paywall finds too early is refused and retried once
    /// (``RollbackDecision``), so asking early never sends twice. One within skew waits its
    /// window from `created_at`, as any other.
    func ownCreation(_ input: PlanInput) -> EpochMillis {
        let full = WorkerConfiguration.paywallRollbackWindowMillis + configuration.rollbackMarginMillis
        let createdAt = input.command.createdAt
        return createdAt <= input.now + Self.createdAtSkewMillis ? createdAt : input.now - full
    }

    /// Waits for the rollback window (5 s + margin after `accepted`), then asks before sending.
    /// Never sends before the window, also not when reconciling an earlier send: the inquiry
    /// tells whether that one landed (status 12).
    func window(_ input: PlanInput, accepted: EpochMillis, paymentRequestId: String) -> PlanDecision {
        let opens = accepted + WorkerConfiguration.paywallRollbackWindowMillis + configuration.rollbackMarginMillis
        if input.now < opens {
            return .wait(until: opens, reason: "waiting: rollback window until \(isoTime(opens))")
        }
        return .inquireBeforeRollback(paymentRequestId: paymentRequestId, windowOpenedAt: opens)
    }
}

/// `2026-11-21T08:25:12.345Z` for log and error texts.
func isoTime(_ millis: EpochMillis) -> String {
    ISOTime.text(epochMillis: millis)
}
