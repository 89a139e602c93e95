import OutboxModel
import OutboxStore
import PaywallClient
import PropertyBased
import Testing

@testable import OutboxWorker

/// Issue 9, "How": a command's phase, read from its row, bounds what may happen to it; the
/// planner's every decision stays inside it.
@Suite("Command phase: what each phase of a command's life permits")
struct CommandPhaseTests {
    @Test("the phase is read from the row: final state, then reconcile mark or PaymentRequestId, else to send")
    func phaseOfRow() {
        #expect(CommandPhase(command(1, .asyncSale)) == .toSend)
        #expect(CommandPhase(command(1, .asyncSale, state: .inFlight, attempts: 3)) == .toSend)
        #expect(CommandPhase(command(1, .asyncSale, state: .inFlight, needsReconcile: true)) == .outcomeUnknown(.paymentList))
        #expect(CommandPhase(command(1, .syncSale, prid: paymentID)) == .outcomeUnknown(.paymentList))
        #expect(CommandPhase(command(1, .syncSaleRollback, needsReconcile: true)) == .outcomeUnknown(.inquiry))
        #expect(CommandPhase(command(1, .asyncCancel, needsReconcile: true)) == .outcomeUnknown(.alreadyDoneAnswer))
        #expect(CommandPhase(command(1, .asyncPairRequest, needsReconcile: true)) == .outcomeUnknown(.none))
        #expect(CommandPhase(command(1, .asyncSale, state: .dead, needsReconcile: true)) == .final(.dead))
    }

    static let send = PlanDecision.send(paymentRequestId: nil)
    static let inquire = PlanDecision.inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: t0)
    static let wait = PlanDecision.wait(until: t0, reason: "waiting: test")
    static let revoke = PlanDecision.revokeLocally(others: [2])
    static func finish(_ outcome: FinalOutcome) -> PlanDecision { .finish(InboxOutcome(outcome)) }

    /// (phase, kind, decision, permitted). Every money rule of the phase table is one row.
    static let table: [(CommandPhase, CommandKind, PlanDecision, Bool)] = [
        // To send: anything but a lookup; a rollback only through its inquiry.
        (.toSend, .asyncSale, send, true),
        (.toSend, .asyncSale, .reconcileSale, false),
        (.toSend, .asyncSale, revoke, true),
        (.toSend, .asyncSale, finish(.expired), true),
        (.toSend, .syncSaleRollback, send, false),
        (.toSend, .syncCancelRollback, send, false),
        (.toSend, .syncSaleRollback, inquire, true),
        (.toSend, .asyncCancel, inquire, false),
        (.toSend, .asyncCancel, send, true),
        // Outcome unknown, sale: look it up; never resent blind, revoked, expired, or ended
        // succeeded/failed from the plan alone.
        (.outcomeUnknown(.paymentList), .asyncSale, .reconcileSale, true),
        (.outcomeUnknown(.paymentList), .asyncSale, send, false),
        (.outcomeUnknown(.paymentList), .syncSale, revoke, false),
        (.outcomeUnknown(.paymentList), .syncSale, finish(.expired), false),
        (.outcomeUnknown(.paymentList), .syncSale, finish(.failed), false),
        (.outcomeUnknown(.paymentList), .syncSale, finish(.succeeded), false),
        (.outcomeUnknown(.paymentList), .syncSale, finish(.revoked), false),
        (.outcomeUnknown(.paymentList), .syncSale, finish(.dead), true),
        (.outcomeUnknown(.paymentList), .syncSale, wait, true),
        // Rollbacks: the inquiry, never a send.
        (.outcomeUnknown(.inquiry), .syncSaleRollback, inquire, true),
        (.outcomeUnknown(.inquiry), .syncSaleRollback, send, false),
        (.outcomeUnknown(.inquiry), .syncCancelRollback, .reconcileSale, false),
        (.outcomeUnknown(.inquiry), .syncCancelRollback, revoke, false),
        (.outcomeUnknown(.inquiry), .syncCancelRollback, finish(.failed), true),
        // Cancels and approvals: a resend Paywall answers "already done"; never expired.
        (.outcomeUnknown(.alreadyDoneAnswer), .asyncCancel, send, true),
        (.outcomeUnknown(.alreadyDoneAnswer), .marketplaceApprove, send, true),
        (.outcomeUnknown(.alreadyDoneAnswer), .syncCancel, finish(.expired), false),
        (.outcomeUnknown(.alreadyDoneAnswer), .syncCancel, finish(.failed), true),
        // Pairing: nothing tells, never resent.
        (.outcomeUnknown(.none), .asyncPairRequest, send, false),
        (.outcomeUnknown(.none), .syncPairRequest, finish(.dead), true),
        (.outcomeUnknown(.none), .asyncPairConfirm, wait, true),
        // Final: nothing.
        (.final(.succeeded), .asyncSale, wait, false),
        (.final(.dead), .asyncSale, finish(.dead), false),
    ]

    @Test("each phase permits what its table row says", arguments: Self.table.indices)
    func phaseTable(_ index: Int) {
        let (phase, kind, decision, permitted) = Self.table[index]
        #expect(phase.permits(decision, kind: kind) == permitted, "\(phase.name) \(kind.rawValue) \(decision.name)")
    }

    @Test("a forbidden decision is not carried out: the command ends dead / lifecycle_violation, saying whether it may be at Paywall")
    func forbiddenDecision() {
        let unknown = command(1, .asyncSale, state: .inFlight, needsReconcile: true)
        guard case .finish(let outcome) = CommandPhase.guarded(Self.send, for: unknown) else {
            Issue.record("a blind resend went through")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == CommandPhase.violationReason)
        #expect(outcome.message?.contains("may have reached Paywall") == true)
        let rollback = command(1, .syncSaleRollback, state: .inFlight, paymentRequestId: paymentID)
        guard case .finish(let never) = CommandPhase.guarded(Self.send, for: rollback) else {
            Issue.record("a rollback went out without its inquiry")
            return
        }
        #expect(never.message?.contains("never sent") == true)
        #expect(CommandPhase.guarded(.reconcileSale, for: unknown) == .reconcileSale)
    }

    /// The planner against the table: random claimed commands of every kind, with random sales,
    /// related follow-ups, clocks and breaker states.
    @Test("every decision the planner makes for a random command is one its phase permits", .shrinking(false))
    func plannerStaysInsideThePhase() async {
        let planner = CommandPlanner(configuration: testConfiguration())
        await propertyCheck(count: 5_000, input: RandomPlanInput.generator) { input in
            let decision = planner.plan(input)
            let kind = input.command.kind!
            #expect(
                CommandPhase(input.command).permits(decision, kind: kind),
                "\(CommandPhase(input.command).name) \(kind.rawValue) → \(decision)\ninput: \(input)")
        }
    }
}

/// Random planner inputs: a claimed command of any kind in any non-final phase, and what the
/// planner reads beside it.
enum RandomPlanInput {
    static let generator = Generator<PlanInput, Shrink.None<PlanInput>>(run: { rng in input(&rng) })

    static func input<R: RandomNumberGenerator>(_ r: inout R) -> PlanInput {
        let now = t0 + Int64.random(in: 0...600_000, using: &r)
        let kind = CommandKind.allCases.randomElement(using: &r)!
        let follows = kind.role == .followUp
        let bySaleKey = follows && Bool.random(using: &r)
        let claimed = OutboxCommand(
            id: 10, commandKey: kind.role == .sale ? saleKey : "33333333-3333-4333-8333-333333333333", kind: kind,
            saleKey: bySaleKey ? saleKey : nil, paymentRequestId: follows && !bySaleKey ? paymentID : nil,
            notBefore: maybe(&r) { now + Int64.random(in: -60_000...60_000, using: &$0) },
            deadline: maybe(&r) { now + Int64.random(in: -60_000...60_000, using: &$0) },
            createdAt: now - Int64.random(in: 0...900_000, using: &r), state: .inFlight,
            attempts: Int.random(in: 0...4, using: &r), dueAt: now,
            needsReconcile: Bool.random(using: &r), leaseOwner: "test-worker", leaseExpiresAt: now + 60_000,
            paywallPaymentRequestId: Int.random(in: 0..<8, using: &r) == 0 ? paymentID : nil,
            acceptedAt: maybe(&r) { now - Int64.random(in: 0...20_000, using: &$0) })
        let sale: OutboxCommand? =
            bySaleKey && Int.random(in: 0..<5, using: &r) > 0
            ? other(&r, id: 5, kind: Bool.random(using: &r) ? .asyncSale : .syncSale, key: saleKey, now: now) : nil
        var related: [OutboxCommand] = []
        if kind.role == .sale || kind == .syncCancelRollback {
            let kinds: [CommandKind] = [.asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback]
            for _ in 0..<Int.random(in: 0...3, using: &r) {
                related.append(
                    other(
                        &r, id: Int64.random(in: 1...20, using: &r), kind: kinds.randomElement(using: &r)!,
                        key: "44444444-4444-4444-8444-44444444444\(related.count)", now: now))
            }
            related.removeAll { $0.id == claimed.id }
            related.sort { $0.id < $1.id }
        }
        let breakers: [BreakerView] = [.closed, .probing, .open(until: now + 5_000, reason: "test")]
        return PlanInput(
            command: claimed, sale: sale, related: related, now: now, breaker: breakers.randomElement(using: &r)!,
            owner: "test-worker")
    }

    static func other<R: RandomNumberGenerator>(
        _ r: inout R, id: Int64, kind: CommandKind, key: String, now: EpochMillis
    ) -> OutboxCommand {
        let state = CommandState.allCases.randomElement(using: &r)!
        let sent = state == .succeeded || Int.random(in: 0..<3, using: &r) == 0
        return OutboxCommand(
            id: id, commandKey: key, kind: kind, saleKey: kind.role == .followUp ? saleKey : nil,
            notBefore: maybe(&r) { now + Int64.random(in: -60_000...60_000, using: &$0) },
            createdAt: now - Int64.random(in: 0...900_000, using: &r), state: state,
            dueAt: now + Int64.random(in: -5_000...5_000, using: &r),
            needsReconcile: !state.isFinal && Bool.random(using: &r),
            leaseOwner: state == .inFlight ? (Bool.random(using: &r) ? "test-worker" : "other") : nil,
            paywallPaymentRequestId: sent ? paymentID : nil,
            acceptedAt: sent ? now - Int64.random(in: 0...20_000, using: &r) : nil,
            finishedAt: state.isFinal ? now - 1_000 : nil)
    }

    static func maybe<R: RandomNumberGenerator>(_ r: inout R, _ value: (inout R) -> Int64) -> Int64? {
        Bool.random(using: &r) ? value(&r) : nil
    }
}
