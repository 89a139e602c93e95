import Foundation
import OutboxModel
import OutboxStore
import PaywallClient
import Testing

@testable import OutboxWorker

/// Issue 9, items 2, 3 and 6, against a scripted Paywall on the manual clock (ScriptedRun).
@Suite("Money safety scenarios: rollbacks and reconciliation (issue 9)", .serialized)
struct ReconcileScenarioTests {
    static func inquiry(saleStatus: Int) -> ScriptedPaywall.Answer {
        ScriptedPaywall.ok(
            #"{"Result":{"PaymentRequestId":"\#(paymentID)","PaymentTypeId":1,"PaymentStatusId":\#(saleStatus)},"ErrorCode":0,"Succeeded":true,"Failed":false}"#
        )
    }

    /// A sale this outbox sent and Paywall accepted at `acceptedAt`; returns its key.
    static func acceptedSale(_ run: ScriptedRun, acceptedAt: EpochMillis) throws -> String {
        let key = Payloads.key()
        let id = try run.store.enqueue(NewCommand(commandKey: key, kind: .syncSale, payload: Payloads.sale(key))).id
        let claimed = try run.store.claim(owner: "earlier", now: acceptedAt, limit: 1, leaseMillis: 60_000)
        #expect(claimed.map(\.id) == [id])
        #expect(
            try run.store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("earlier"), paywallPaymentRequestId: paymentID,
                    acceptedAt: acceptedAt, next: .finish(InboxOutcome(.succeeded, paymentRequestId: paymentID)))],
                worker: "earlier", now: acceptedAt))
        return key
    }

    @Test("item 2: a rollback whose answer was lost is never resent blind: the inquiry says rolled back (12), so it succeeded")
    func lostRollbackAnswerIsAskedNotResent() async throws {
        let run = try ScriptedRun()
        let start = run.clock.now()
        let sale = try Self.acceptedSale(run, acceptedAt: start - 60_000)
        _ = try run.store.enqueue(NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale))
        // Paywall performs the rollback but the answer is lost; asked again it says "rolled
        // back"; a resend would be refused (nothing left to revoke).
        run.paywall.script("/payment/inquiry", [Self.inquiry(saleStatus: 2)], then: Self.inquiry(saleStatus: 12))
        run.paywall.script(
            "/sale/rollback", [ScriptedPaywall.lost],
            then: ScriptedPaywall.refused("Payment.Async.NotConvenientStatusForThisOperation"))
        try await run.run { try run.store.inbox(after: 0).count == 2 }
        let outcome = try #require(try run.store.inbox(after: 0).last?.outcome)
        #expect(outcome.outcome == .succeeded && outcome.reason == .alreadyRolledBack, "\(outcome)")
        #expect(outcome.paymentStatusId == 12)
        #expect(run.paywall.count("/sale/rollback") == 1, "the rollback was resent without asking")
        // Asked before the send, and again before deciding what the lost answer meant.
        let paths = run.paywall.received.map(\.path)
        #expect(paths.filter { $0.contains("/payment/inquiry") }.count == 2, "\(paths)")
    }

    @Test("item 3: a rollback left by a worker killed mid-send waits for the 5 s window and asks before sending")
    func rollbackAfterCrashKeepsTheWindow() async throws {
        let run = try ScriptedRun()
        let acceptedAt = run.clock.now()
        let sale = try Self.acceptedSale(run, acceptedAt: acceptedAt)
        let rollback = try run.store.enqueue(
            NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", saleKey: sale)).id
        // A worker claimed it, marked it as leaving and died; its lease ended 1.4 s after the
        // sale's acceptance, so the rollback comes back marked for reconciliation.
        #expect(try run.store.claim(owner: "killed", now: acceptedAt, limit: 1, leaseMillis: 1_000).map(\.id) == [rollback])
        #expect(try run.store.markSending(commandID: rollback, owner: "killed", now: acceptedAt + 100, durable: false))
        #expect(try run.store.releaseExpiredLeases(now: acceptedAt + 1_400) == [rollback])
        run.clock.advance(by: 1_400)
        run.paywall.script("/payment/inquiry", [], then: Self.inquiry(saleStatus: 2))
        run.paywall.script("/sale/rollback", [], then: ScriptedPaywall.ok(#"{"Result":{"PaymentStatus":12},"ErrorCode":0,"Succeeded":true,"Failed":false}"#))
        try await run.run { try run.store.inbox(after: 0).count == 2 }
        let sends = run.paywall.received.filter { $0.path.hasSuffix("/sale/rollback") }
        let opens = acceptedAt + WorkerConfiguration.paywallRollbackWindowMillis + run.configuration.rollbackMarginMillis
        #expect(sends.count == 1)
        #expect(sends.allSatisfy { $0.at >= opens }, "sent \(sends.map { $0.at - acceptedAt }) ms after acceptance")
        let firstInquiry = try #require(run.paywall.received.first { $0.path.contains("/payment/inquiry") })
        #expect(firstInquiry.at >= opens && firstInquiry.at <= sends[0].at, "no status check before the send")
    }

    @Test("item 6: a payment list answering 503 for ever ends the sale dead/outcome_unknown within its budget, never resent")
    func reconciliationIsBounded() async throws {
        let run = try ScriptedRun { $0.maxAttempts = 4 }
        let key = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        run.paywall.script("/sale", [ScriptedPaywall.lost], then: ScriptedPaywall.accepted())
        run.paywall.script("/payment/list", [], then: ScriptedPaywall.status(503))
        try await run.run(step: 1_000) { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown, "\(outcome)")
        #expect(run.paywall.count("/sale") == 1, "a sale whose outcome is unknown was resent")
        let command = try #require(try run.store.list(CommandFilter()).first)
        #expect(command.attempts <= 4, "attempts \(command.attempts) beyond --max-attempts 4")
        #expect((1...4).contains(run.paywall.count("/payment/list")), "lookups: \(run.paywall.count("/payment/list"))")
    }
}
