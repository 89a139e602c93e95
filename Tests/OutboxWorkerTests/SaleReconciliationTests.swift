import Foundation
import OutboxModel
import OutboxStore
import PaywallClient
import Testing
import OutboxTestSupport

@testable import OutboxWorker

/// Issue 9, items 1, 4, 5, 6, 10: the pure rules after a lookup, row by row. The configuration's
/// request timeout is 5 s and its landing grace 1 s, so proof needs 6 s after the last send.
@Suite("Reconcile rules: a sale whose send may have landed")
struct SaleReconciliationTests {
    static let rules = SaleReconciliation(configuration: testConfiguration())
    static let day: Int64 = 86_400_000
    /// The sale: created at t0, 3-minute deadline (default), one unknown send at t0 + 1 s.
    static func sale(amount: String = "22.10", attempts: Int = 1, terminal: String = #""TerminalTagCode":"T1""#) -> OutboxCommand {
        var sale = command(1, .asyncSale, attempts: attempts, needsReconcile: true)
        sale.payload =
            #"{\#(terminal),"MerchantUniqueCode":"\#(saleKey)","Amount":\#(amount),"CurrencyId":1}"#
        return sale
    }
    static let sent = SendHistory(firstSendAt: t0 + 1_000, lastSendAt: t0 + 1_500, sends: 1)
    static let scanned = PaymentLookup.notFound(scannedFrom: t0 - day)

    static func info(amount: String?, terminalId: String? = nil) -> PaymentInfo {
        var members: [JSONValue.Member] = [
            .init("Id", .string(paymentID)), .init("MerchantUniqueCode", .string(saleKey)),
        ]
        if let amount { members.append(.init("Amount", .number(amount))) }
        if let terminalId { members.append(.init("TerminalId", .string(terminalId))) }
        return PaymentInfo(.object(members))!
    }

    func decide(_ sale: OutboxCommand, _ history: SendHistory, _ lookup: PaymentLookup, at now: EpochMillis)
        -> ReconcileStep
    {
        Self.rules.decide(command: sale, history: history, lookup: lookup, now: now, jitter: 0.5)
    }

    func decide(_ lookup: PaymentLookup, at now: EpochMillis) -> ReconcileStep {
        decide(Self.sale(), Self.sent, lookup, at: now)
    }

    func decide(_ sale: OutboxCommand, _ lookup: PaymentLookup, at now: EpochMillis) -> ReconcileStep {
        decide(sale, Self.sent, lookup, at: now)
    }

    @Test("not found before the grace after the last send: look again then, spending nothing")
    func notFoundTooSoon() {
        #expect(decide(Self.scanned, at: t0 + 3_000) == .lookAgain(at: t0 + 1_500 + 6_000, counts: false, why: "not in the payment list yet; looking again 6 s after the last send"))
    }

    @Test("not found after the grace, before the deadline: resend (a first send again)")
    func notFoundResend() {
        #expect(decide(Self.scanned, at: t0 + 8_000) == .resend)
    }

    @Test("not found after the deadline: expired, never sent late (item 1)")
    func notFoundAfterDeadline() {
        guard case .finish(let outcome, nil) = decide(Self.scanned, at: t0 + 181_000) else {
            Issue.record("expected a finish")
            return
        }
        #expect(outcome.outcome == .expired && outcome.reason == .deadlinePassed)
    }

    @Test("a scan that does not reach back to the first send is no proof")
    func scanTooShort() {
        guard case .lookAgain(_, true, _) = decide(.notFound(scannedFrom: t0), at: t0 + 181_000) else {
            Issue.record("expected another lookup")
            return
        }
    }

    @Test("after a duplicate-code answer, not found is never followed by a resend (item 6)")
    func duplicateNeverResent() {
        var history = Self.sent
        history.duplicateAnswered = true
        guard case .lookAgain(_, true, _) = decide(Self.sale(), history, Self.scanned, at: t0 + 100_000) else {
            Issue.record("expected another lookup")
            return
        }
        guard case .finish(let outcome, nil) = decide(Self.sale(attempts: 9), history, Self.scanned, at: t0 + 100_000)
        else {
            Issue.record("expected dead")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown)
    }

    @Test("a failed lookup spends an attempt and ends dead/outcome_unknown when the budget is spent (item 6)")
    func failedLookupBounded() {
        let throttled = PaymentLookup.failed(.transient(retryAfter: .seconds(2), PaywallProblem(code: .throttled)))
        guard case .lookAgain(let at, false, _) = decide(throttled, at: t0 + 10_000) else {
            Issue.record("a throttled lookup waits for Retry-After and spends nothing")
            return
        }
        #expect(at == t0 + 12_000)
        let failing = PaymentLookup.failed(.transient(retryAfter: nil, PaywallProblem(code: .serverError)))
        guard case .lookAgain(_, true, _) = decide(failing, at: t0 + 10_000) else {
            Issue.record("expected another lookup, counted")
            return
        }
        guard case .finish(let outcome, nil) = decide(Self.sale(attempts: 4), Self.sent, failing, at: t0 + 10_000) else {
            Issue.record("expected dead")
            return
        }
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown)
        #expect(outcome.message?.contains("1 send(s)") == true)
        var old = Self.sale()
        old.createdAt = t0 - 3_600_000
        guard case .finish(let aged, nil) = decide(old, Self.sent, failing, at: t0 + 10_000) else {
            Issue.record("expected dead at the age limit")
            return
        }
        #expect(aged.outcome == .dead)
    }

    @Test("connectivity during a lookup pauses and spends nothing")
    func lookupUnreachable() {
        let refused = PaymentLookup.failed(.unavailable(PaywallProblem(code: .transport)))
        guard case .pause = decide(refused, at: t0 + 10_000) else {
            Issue.record("expected a pause")
            return
        }
    }

    @Test(
        "found: succeeded only when the amount is equal as a decimal; any difference is a conflict (item 4)",
        arguments: [
            ("22.10", "22.1", FinalOutcome.succeeded, InboxReason.reconciled),
            ("22.10", "22.10", .succeeded, .reconciled),
            ("99.00", "10.00", .failed, .merchantUniqueCodeConflict),
            ("22.10", nil, .dead, .outcomeUnknown),
        ] as [(String, String?, FinalOutcome, InboxReason)])
    func found(queued: String, paywall: String?, expected: FinalOutcome, reason: InboxReason) {
        guard case .finish(let outcome, let id) = decide(Self.sale(amount: queued), .found(Self.info(amount: paywall)), at: t0 + 3_000)
        else {
            Issue.record("expected a finish")
            return
        }
        #expect(outcome.outcome == expected && outcome.reason == reason)
        #expect(outcome.paymentRequestId == paymentID)
        #expect((id != nil) == (expected == .succeeded), "only a match records the PaymentRequestId as the sale's")
        if expected == .failed { #expect(outcome.message?.contains("Amount 99.00 ≠ 10.00") == true) }
    }

    @Test("a different TerminalId is a conflict; a tag code cannot be compared and is said so")
    func terminal() {
        let byId = Self.sale(terminal: #""TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40""#)
        guard case .finish(let outcome, _) = decide(byId, Self.sent, .found(Self.info(amount: "22.10", terminalId: "11111111-1111-4111-8111-111111111111")), at: t0 + 3_000) else {
            Issue.record("expected a finish")
            return
        }
        #expect(outcome.reason == .merchantUniqueCodeConflict && outcome.message?.contains("TerminalId") == true)
        let match = SaleMatch.compare(payload: Self.sale().payload, found: Self.info(amount: "22.1", terminalId: "x"))
        #expect(match.differences.isEmpty && match.amountCompared && match.uncompared.count == 1)
    }
}

@Suite("Unknown outcomes of other kinds (item 10) and bounded reads (items 6, 11)")
struct UnknownOutcomeKindTests {
    @Test(
        "each kind's resolution",
        arguments: [
            (CommandKind.asyncPairRequest, false, FinalOutcome?.some(.dead)),
            (.syncPairRequest, false, .dead),
            (.asyncPairConfirm, false, .dead),
            (.marketplaceApprove, false, nil),
            (.marketplaceApprove, true, .dead),
        ])
    func resolution(kind: CommandKind, pastDeadline: Bool, expected: FinalOutcome?) {
        let planner = CommandPlanner(configuration: testConfiguration())
        let lost = command(1, kind, attempts: 1, needsReconcile: true)
        let now = pastDeadline ? t0 + 8 * 86_400_000 : t0 + 1_000
        let decision = planner.plan(PlanInput(command: lost, sale: nil, related: [], now: now, breaker: .closed, owner: "w"))
        if let expected {
            guard case .finish(let outcome) = decision else {
                Issue.record("expected \(expected), got \(decision)")
                return
            }
            #expect(outcome.outcome == expected && outcome.reason == .outcomeUnknown)
        } else {
            #expect(decision == .send(paymentRequestId: nil))
        }
    }

    @Test("a failed read spends an attempt and is bounded; connectivity pauses without spending")
    func readFailure() {
        let rule = ReadFailureRule(configuration: testConfiguration())
        let rollback = command(1, .syncSaleRollback, paymentRequestId: paymentID, attempts: 1, needsReconcile: true)
        let busy = PaywallOutcome.transient(retryAfter: nil, PaywallProblem(code: .serverError))
        let again = rule.decide(command: rollback, outcome: busy, what: "payment inquiry", now: t0, jitter: 0.5)
        #expect(again.counts)
        guard case .reschedule(_, true, _) = again.next else {
            Issue.record("expected a reschedule")
            return
        }
        var spent = rollback
        spent.attempts = 4
        let dead = rule.decide(command: spent, outcome: busy, what: "payment inquiry", now: t0, jitter: 0.5)
        #expect(dead.next == .finish(InboxOutcome(.dead, reason: .outcomeUnknown, message: "an earlier send may have reached Paywall and it could not be confirmed (payment inquiry: \(busy)): check at Paywall")))
        let offline = rule.decide(
            command: rollback, outcome: .unavailable(PaywallProblem(code: .transport)), what: "payment inquiry", now: t0, jitter: 0.5)
        #expect(!offline.counts && offline.breaker != nil)
    }
}

@Suite("Clock steps (issue 9, item 12)")
struct ClockStepTests {
    @Test(
        "a backward step is noticed against the monotonic clock; forward steps and jitter are not",
        arguments: [
            (t0, t0 + 500, Int64(500), Int64?.none),
            (t0, t0 + 400, 500, nil),
            (t0, t0 - 600_000 + 500, 500, 600_000),
            (t0, t0 + 600_000, 500, nil),
        ])
    func backward(lastWall: EpochMillis, now: EpochMillis, elapsed: Int64, expected: Int64?) {
        #expect(ClockStep.backward(lastWall: lastWall, now: now, elapsedMillis: elapsed) == expected)
    }

    @Test("after a step back, due times and holds move back with it; a retry 'in 2 s' is not frozen for 10 minutes")
    func shift() throws {
        let directory = Scratch.url("step")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try OutboxStore(OutboxStoreConfiguration(path: directory.appendingPathComponent("o.sqlite").path))
        let key = Payloads.key()
        let id = try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key))).id
        // A 503 said "2 s" at t0 + 10 min; then the clock went back to t0.
        _ = try store.claim(owner: "w", now: t0 + 600_000, limit: 1, leaseMillis: 60_000)
        _ = try store.record(
            [CommandUpdate(
                commandID: id, precondition: .leasedBy("w"),
                next: .reschedule(dueAt: t0 + 602_000, needsReconcile: false, lastError: "503"))],
            worker: "w", now: t0 + 600_000)
        try store.setHold(credentials: "private", until: t0 + 602_000, reason: "503", by: "w", now: t0 + 600_000)
        #expect(try store.shiftSchedules(backBy: 600_000, now: t0, by: "w") == 1)
        #expect(try store.command(id: id)?.dueAt == t0 + 2_000)
        #expect(try store.activeHolds(now: t0) == ["private": t0 + 2_000])
        // A second worker noticing the same step a moment later (its measure differs by a few
        // ms) moves nothing again: the hold still ends 2 s after the step, not sooner.
        #expect(try store.shiftSchedules(backBy: 600_040, now: t0 + 300, by: "w2") == 0)
        #expect(try store.command(id: id)?.dueAt == t0 + 2_000)
        #expect(try store.activeHolds(now: t0 + 300) == ["private": t0 + 2_000])
        #expect(try store.claim(owner: "w", now: t0 + 2_000, limit: 1, leaseMillis: 1_000).map(\.id) == [id])
    }
}
