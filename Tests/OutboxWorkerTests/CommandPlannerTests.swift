import OutboxModel
import OutboxStore
import PaywallClient
import Testing

@testable import OutboxWorker

@Suite("Planner: what to do with a claimed command now")
struct CommandPlannerTests {
    let planner = CommandPlanner(configuration: testConfiguration())

    func plan(
        _ claimed: OutboxCommand, sale: OutboxCommand? = nil, related: [OutboxCommand] = [], at now: EpochMillis,
        breaker: BreakerView = .closed
    ) -> PlanDecision {
        planner.plan(PlanInput(command: claimed, sale: sale, related: related, now: now, breaker: breaker))
    }

    // MARK: Sales

    @Test("a fresh sale is sent, without a PaymentRequestId")
    func freshSale() {
        #expect(plan(command(1, .asyncSale), at: t0 + 10) == .send(paymentRequestId: nil))
    }

    @Test("deadline: a sale not delivered in time expires and is never sent; the row's own deadline wins",
          arguments: [
            (command(1, .syncSale), t0 + 180_000, false),
            (command(1, .syncSale), t0 + 180_001, true),
            (command(1, .syncSale, deadline: t0 + 5_000), t0 + 5_001, true),
            (command(1, .syncSale, deadline: t0 + 900_000), t0 + 600_000, false),
            (command(1, .marketplaceApprove), t0 + 6 * 86_400_000, false),
          ])
    func deadline(_ claimed: OutboxCommand, _ now: EpochMillis, _ expires: Bool) {
        let decision = plan(claimed, at: now)
        if expires {
            guard case .finish(let outcome) = decision else {
                Issue.record("expected expiry, got \(decision)")
                return
            }
            #expect(outcome.outcome == .expired && outcome.reason == .deadlinePassed)
        } else {
            #expect(decision == .send(paymentRequestId: nil))
        }
    }

    @Test("a sale that may already be at Paywall never expires: it is reconciled")
    func unknownSaleNeverExpires() {
        #expect(plan(command(1, .asyncSale, needsReconcile: true), at: t0 + 86_400_000) == .reconcileSale)
    }

    @Test("not_before holds a command back until its time")
    func notBefore() {
        let claimed = command(1, .asyncSale, notBefore: t0 + 60_000)
        #expect(plan(claimed, at: t0 + 59_999) == .wait(until: t0 + 60_000, reason: "waiting: not_before"))
        #expect(plan(claimed, at: t0 + 60_000) == .send(paymentRequestId: nil))
    }

    @Test("an open breaker holds every command back until the probe, spending no attempt")
    func breakerOpen() {
        let open = BreakerView.open(until: t0 + 5_000, reason: "connection_refused")
        for claimed in [command(1, .asyncSale), command(2, .marketplaceApprove), command(3, .asyncSale, needsReconcile: true)] {
            guard case .wait(let until, let reason) = plan(claimed, at: t0 + 1, breaker: open) else {
                Issue.record("expected a wait for \(claimed.kindName)")
                continue
            }
            #expect(until == t0 + 5_000 && reason.hasPrefix("waiting: Paywall unavailable"))
        }
        #expect(plan(command(1, .asyncSale), at: t0 + 1, breaker: .probing) == .send(paymentRequestId: nil))
    }

    @Test("a sale withdrawn by a pending cancel or rollback is revoked locally, never sent")
    func saleRevokedByPendingFollowUp() {
        for kind in [CommandKind.asyncCancel, .syncCancel, .syncSaleRollback] {
            let followUp = command(7, kind, saleKey: saleKey)
            #expect(plan(command(1, .syncSale), related: [followUp], at: t0 + 1) == .revokeLocally(others: [7]))
        }
        // A cancel rollback does not withdraw the sale.
        #expect(plan(command(1, .syncSale), related: [command(7, .syncCancelRollback, saleKey: saleKey)], at: t0 + 1)
            == .send(paymentRequestId: nil))
        // A finished follow-up does not either.
        #expect(plan(command(1, .syncSale), related: [command(7, .asyncCancel, state: .failed, saleKey: saleKey)], at: t0 + 1)
            == .send(paymentRequestId: nil))
    }

    @Test("a sale whose canceller is held by another worker waits; one this worker holds is revoked with it")
    func saleWaitsForCancellerInFlight() {
        let elsewhere = command(7, .asyncCancel, state: .inFlight, saleKey: saleKey)
        let decision = plan(command(1, .syncSale), related: [elsewhere], at: t0)
        #expect(decision == .wait(until: t0 + CommandPlanner.shortWaitMillis, reason: "waiting: revocation in progress"))
        var mine = elsewhere
        mine.leaseOwner = "test-worker"
        #expect(plan(command(1, .syncSale), related: [mine], at: t0) == .revokeLocally(others: [7]))
    }

    @Test("a follow-up never revokes a sale someone holds (it may be on the wire); it waits longer than the sale does")
    func followUpNeverRevokesHeldSale() {
        var held = command(1, .syncSale, state: .inFlight)
        held.leaseOwner = "test-worker"
        let decision = plan(command(2, .asyncCancel, saleKey: saleKey), sale: held, at: t0)
        guard case .wait(let until, _) = decision else {
            Issue.record("expected a wait, got \(decision)")
            return
        }
        #expect(until == t0 + 2 * CommandPlanner.shortWaitMillis)
    }

    @Test("a sale that may already be at Paywall is not revoked locally: its cancel must go to Paywall")
    func possiblySentSaleNotRevoked() {
        let decision = plan(command(1, .syncSale, needsReconcile: true), related: [command(7, .asyncCancel, saleKey: saleKey)], at: t0)
        #expect(decision == .reconcileSale)
    }

    // MARK: Cancels

    @Test("a cancel naming an unsent sale revokes both locally")
    func cancelRevokesUnsentSale() {
        let sale = command(1, .asyncSale)
        #expect(plan(command(2, .asyncCancel, saleKey: saleKey), sale: sale, at: t0) == .revokeLocally(others: [1]))
    }

    @Test("a cancel waits while its sale is in flight or may have reached Paywall without an id")
    func cancelWaitsForSale() {
        let cancel = command(2, .asyncCancel, saleKey: saleKey)
        for sale in [command(1, .asyncSale, state: .inFlight), command(1, .asyncSale, needsReconcile: true, dueAt: t0 + 9_000)] {
            guard case .wait(let until, let reason) = plan(cancel, sale: sale, at: t0) else {
                Issue.record("expected a wait")
                continue
            }
            #expect(reason.hasPrefix("waiting: sale"))
            #expect(until == max(t0 + 2 * CommandPlanner.shortWaitMillis, sale.state == .pending ? sale.dueAt : 0))
        }
    }

    @Test("a cancel goes out with its sale's PaymentRequestId once the sale has one")
    func cancelUsesSalesPaymentRequestId() {
        let sale = command(1, .asyncSale, state: .succeeded, prid: paymentID, acceptedAt: t0)
        #expect(plan(command(2, .syncCancel, saleKey: saleKey), sale: sale, at: t0 + 1) == .send(paymentRequestId: paymentID))
        // Named by PaymentRequestId, it needs no local sale.
        #expect(plan(command(2, .asyncCancel, paymentRequestId: paymentID), at: t0 + 1) == .send(paymentRequestId: paymentID))
    }

    @Test("a cancel of a sale that ended without payment ends without calling Paywall",
          arguments: [CommandState.failed, .expired, .revoked, .discarded])
    func nothingToCancel(_ saleState: CommandState) {
        let decision = plan(command(2, .asyncCancel, saleKey: saleKey), sale: command(1, .asyncSale, state: saleState), at: t0)
        guard case .finish(let outcome) = decision else {
            Issue.record("expected finish, got \(decision)")
            return
        }
        #expect(outcome.outcome == .failed && outcome.reason == .nothingToCancel)
    }

    @Test("a cancel of a dead sale is not told 'nothing to cancel': the sale's fate is unconfirmed")
    func cancelOfDeadSale() {
        let decision = plan(command(2, .asyncCancel, saleKey: saleKey), sale: command(1, .asyncSale, state: .dead), at: t0)
        guard case .finish(let outcome) = decision else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.reason == .saleDead)
    }

    @Test("a cancel whose sale is not in the outbox waits a while, then fails clearly")
    func cancelOfMissingSale() {
        let cancel = command(2, .asyncCancel, saleKey: saleKey)
        guard case .wait = plan(cancel, at: t0 + 1_000) else {
            Issue.record("expected a wait")
            return
        }
        guard case .finish(let outcome) = plan(cancel, at: t0 + CommandPlanner.missingSaleGraceMillis) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.reason == .saleNotFound)
        // A created_at ahead of the worker's clock (a producer's clock, or ours stepped back)
        // keeps it waiting, never failed while its sale may still arrive.
        for ahead: Int64 in [1_000, 86_400_000] {
            guard case .wait = plan(command(2, .asyncCancel, saleKey: saleKey, createdAt: t0 + ahead), at: t0 + 100)
            else {
                Issue.record("a cancel created \(ahead) ms ahead did not wait for its sale")
                continue
            }
        }
    }

    // MARK: Sale rollbacks

    @Test("a sale rollback waits out Paywall's 5 s window plus the margin from the sale's acceptance")
    func rollbackWindow() {
        let accepted = t0 + 1_000
        let sale = command(1, .syncSale, state: .succeeded, prid: paymentID, acceptedAt: accepted)
        let rollback = command(2, .syncSaleRollback, saleKey: saleKey, createdAt: t0 + 1_500)
        let opens = accepted + 5_000 + 1_000
        for now in [accepted, accepted + 4_999, accepted + 5_000, opens - 1] {
            guard case .wait(let until, let reason) = plan(rollback, sale: sale, at: now) else {
                Issue.record("rollback planned at \(now - accepted) ms after acceptance")
                continue
            }
            #expect(until == opens && reason.hasPrefix("waiting: rollback window"))
        }
        #expect(
            plan(rollback, sale: sale, at: opens) == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: opens))
    }

    @Test("a rollback reconciling an earlier send still waits for the window and asks first, never sends blind")
    func rollbackReconcileAsks() {
        let sale = command(1, .syncSale, state: .succeeded, prid: paymentID, acceptedAt: t0)
        let rollback = command(2, .syncSaleRollback, saleKey: saleKey, createdAt: t0, needsReconcile: true)
        guard case .wait = plan(rollback, sale: sale, at: t0 + 1_000) else {
            Issue.record("a reconciling rollback went before the window")
            return
        }
        #expect(
            plan(rollback, sale: sale, at: t0 + 6_000)
                == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: t0 + 6_000))
    }

    @Test("a rollback named only by PaymentRequestId counts the window from its own creation")
    func rollbackWindowWithoutLocalSale() {
        let rollback = command(2, .syncSaleRollback, paymentRequestId: paymentID, createdAt: t0)
        #expect(plan(rollback, at: t0 + 5_999) == .wait(until: t0 + 6_000, reason: "waiting: rollback window until \(isoTime(t0 + 6_000))"))
        #expect(
            plan(rollback, at: t0 + 6_000) == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: t0 + 6_000))
        // A created_at a little ahead of the worker's clock (skew) still counts its window.
        let now = t0 + 10_000
        let skewed = command(2, .syncSaleRollback, paymentRequestId: paymentID, createdAt: now + 20_000)
        #expect(plan(skewed, at: now) == .wait(until: now + 26_000, reason: "waiting: rollback window until \(isoTime(now + 26_000))"))
        // One further ahead (a producer may write one up to 2100; the row fuzz wrote a day ahead)
        // holds nothing: it asks at once (a refusal as too early is retried once).
        for ahead: Int64 in [CommandPlanner.createdAtSkewMillis + 1, 86_400_000, 4_102_444_799_999 - now] {
            let future = command(2, .syncSaleRollback, paymentRequestId: paymentID, createdAt: now + ahead)
            #expect(plan(future, at: now) == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: now))
        }
    }

    @Test("a rollback of an unsent sale revokes both locally, without waiting for any window")
    func rollbackOfUnsentSale() {
        #expect(plan(command(2, .syncSaleRollback, saleKey: saleKey), sale: command(1, .syncSale), at: t0) == .revokeLocally(others: [1]))
    }

    // MARK: Cancel rollbacks

    @Test("a cancel rollback revokes an unsent cancel locally, waits for one in flight, else respects the window")
    func cancelRollback() {
        let sale = command(1, .syncSale, state: .succeeded, prid: paymentID, acceptedAt: t0)
        let rollback = command(3, .syncCancelRollback, saleKey: saleKey, createdAt: t0 + 100)
        #expect(plan(rollback, sale: sale, related: [command(2, .syncCancel, saleKey: saleKey)], at: t0 + 200)
            == .revokeLocally(others: [2]))
        guard case .wait = plan(rollback, sale: sale, related: [command(2, .syncCancel, state: .inFlight, saleKey: saleKey)], at: t0 + 200) else {
            Issue.record("expected a wait for the cancel in flight")
            return
        }
        let sent = command(2, .syncCancel, state: .succeeded, saleKey: saleKey, acceptedAt: t0 + 1_000)
        #expect(plan(rollback, sale: sale, related: [sent], at: t0 + 6_999)
            == .wait(until: t0 + 7_000, reason: "waiting: rollback window until \(isoTime(t0 + 7_000))"))
        // After the window it asks about the cancel before sending (the cancel's acceptance counts).
        #expect(
            plan(rollback, sale: sale, related: [sent], at: t0 + 7_000)
                == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: t0 + 7_000))
        // A cancel sent elsewhere (none in this outbox): the rollback's own creation counts.
        #expect(
            plan(rollback, sale: sale, at: t0 + 6_099)
                == .wait(until: t0 + 6_100, reason: "waiting: rollback window until \(isoTime(t0 + 6_100))"))
        // ... but a created_at further ahead than skew (a producer may write one up to 2100)
        // holds nothing: it asks at once.
        let future = command(3, .syncCancelRollback, saleKey: saleKey, createdAt: 4_102_444_799_999)
        #expect(
            plan(future, sale: sale, at: t0 + 10_000)
                == .inquireBeforeRollback(paymentRequestId: paymentID, windowOpenedAt: t0 + 10_000))
    }

    // MARK: Standalone

    @Test("standalone commands go out at once, subject to the shared gates")
    func standalone() {
        for kind in [CommandKind.asyncPairRequest, .asyncPairConfirm, .syncPairRequest, .marketplaceApprove] {
            #expect(plan(command(1, kind), at: t0 + 1) == .send(paymentRequestId: nil))
        }
    }
}

@Suite("Planner: ordering on one payment")
struct PaymentOrderingTests {
    let planner = CommandPlanner(configuration: testConfiguration())

    @Test("a follow-up waits for an earlier unfinished follow-up of the same payment; finished ones do not hold it")
    func inOrder() {
        let sale = command(1, .syncSale, state: .succeeded, prid: paymentID, acceptedAt: t0)
        let cancel = command(3, .syncCancel, saleKey: saleKey)
        let earlierRollback = command(2, .syncSaleRollback, saleKey: saleKey, dueAt: t0 + 6_000)
        let decision = planner.plan(PlanInput(command: cancel, sale: sale, related: [earlierRollback], now: t0 + 100))
        #expect(decision == .wait(until: t0 + 6_000, reason: "waiting: earlier command 2 on the same payment"))
        var finished = earlierRollback
        finished.state = .failed
        #expect(planner.plan(PlanInput(command: cancel, sale: sale, related: [finished], now: t0 + 100)) == .send(paymentRequestId: paymentID))
        // A later follow-up does not hold an earlier one.
        let laterCancel = command(4, .syncCancel, saleKey: saleKey)
        #expect(planner.plan(PlanInput(command: cancel, sale: sale, related: [laterCancel], now: t0 + 100)) == .send(paymentRequestId: paymentID))
    }
}

@Suite("Planner: rows with unreadable columns")
struct UnreadableRowRuleTests {
    static func defect(_ column: String) -> ColumnDefect {
        ColumnDefect(column: column, problem: "BLOB of 2 bytes that is not UTF-8 text")
    }

    @Test(
        "never sent → failed; may have been sent → dead unless only not_before/deadline are lost",
        arguments: [
            // (defect columns, attempts, needsReconcile, PaymentRequestId known, expected outcome or nil = plan on)
            ([String](), 0, false, false, nil as FinalOutcome?),
            (["payload"], 0, false, false, .failed),
            (["deadline"], 0, false, false, .failed),
            (["command_key", "created_at"], 0, false, false, .failed),
            (["payload"], 1, false, false, .dead),
            (["payload"], 0, true, false, .dead),
            (["command_key"], 0, false, true, .dead),
            (["deadline"], 1, true, false, nil),
            (["not_before", "deadline"], 0, true, false, nil),
        ])
    func rule(columns: [String], attempts: Int, reconcile: Bool, known: Bool, expected: FinalOutcome?) {
        let command = OutboxCommand(
            id: 1, commandKey: "k", kind: .asyncSale, createdAt: 1_000, attempts: attempts, needsReconcile: reconcile,
            paywallPaymentRequestId: known ? "7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c" : nil,
            defects: columns.map(Self.defect))
        let decision = UnreadableRowRule.decide(command)
        guard let expected else {
            #expect(decision == nil)
            return
        }
        guard case .finish(let outcome) = decision else {
            Issue.record("expected a finish, got \(String(describing: decision))")
            return
        }
        #expect(outcome.outcome == expected && outcome.reason == .unreadableRow)
        for column in columns { #expect(outcome.message?.contains(column) == true) }
    }

    @Test("the planner applies the rule before anything else")
    func plannerFirst() {
        let command = OutboxCommand(
            id: 1, commandKey: "k", kind: .asyncSale, createdAt: 1_000, defects: [Self.defect("payload")])
        let planner = CommandPlanner(configuration: testConfiguration())
        let decision = planner.plan(PlanInput(command: command, sale: nil, related: [], now: 2_000, breaker: .closed, owner: "w"))
        guard case .finish(let outcome) = decision else {
            Issue.record("expected a finish, got \(decision)")
            return
        }
        #expect(outcome.reason == .unreadableRow)
    }
}

@Suite("Planner: a follow-up not due yet")
struct FollowUpNotBeforeTests {
    @Test("a cancel with a later not_before lets its never-sent sale go, and waits; once due, it revokes an unsent sale")
    func cancelLater() {
        let planner = CommandPlanner(configuration: testConfiguration())
        let sale = command(1, .asyncSale)
        var cancel = command(2, .asyncCancel, saleKey: saleKey)
        cancel.notBefore = t0 + 60_000
        let salePlan = planner.plan(PlanInput(command: sale, sale: nil, related: [cancel], now: t0, breaker: .closed, owner: "w"))
        #expect(salePlan == .send(paymentRequestId: nil))
        let cancelPlan = planner.plan(PlanInput(command: cancel, sale: sale, related: [sale], now: t0, breaker: .closed, owner: "w"))
        #expect(cancelPlan == .wait(until: t0 + 60_000, reason: "waiting: not_before"))
        let due = planner.plan(PlanInput(command: cancel, sale: sale, related: [sale], now: t0 + 60_000, breaker: .closed, owner: "w"))
        #expect(due == .revokeLocally(others: [1]))
    }
}

@Suite("Planner: a cancel rollback whose cancel never took effect")
struct CancelRollbackNothingTests {
    @Test("the latest earlier cancel failed, expired or was revoked: nothing_to_roll_back, nothing sent", arguments: [
        CommandState.failed, .expired, .revoked, .discarded,
    ])
    func nothing(_ state: CommandState) {
        let planner = CommandPlanner(configuration: testConfiguration())
        let sale = command(1, .syncSale, state: .succeeded, prid: paymentID, acceptedAt: t0)
        let cancel = command(2, .syncCancel, state: state, saleKey: saleKey)
        let rollback = command(3, .syncCancelRollback, saleKey: saleKey)
        let decision = planner.plan(
            PlanInput(command: rollback, sale: sale, related: [sale, cancel], now: t0 + 60_000, breaker: .closed, owner: "w"))
        guard case .finish(let outcome) = decision else {
            Issue.record("expected a finish, got \(decision)")
            return
        }
        #expect(outcome.outcome == .failed && outcome.reason == .nothingToRollBack)
    }

    @Test("a row whose reconcile mark is unreadable counts as possibly sent")
    func unreadableMark() {
        let row = OutboxCommand(
            id: 1, commandKey: "k", kind: .asyncSale, createdAt: t0,
            defects: [ColumnDefect(column: "needs_reconcile", problem: "text where an integer belongs")])
        guard case .finish(let outcome) = UnreadableRowRule.decide(row) else {
            Issue.record("expected a finish")
            return
        }
        #expect(outcome.outcome == .dead)
    }
}
