import OutboxModel
import PaywallClient
import Testing

@testable import OutboxWorker

/// The rollback decisions, rule by rule, for both rollback kinds (the sale's status for a sale
/// rollback, the cancel's for a cancel rollback). Statuses are Paywall's S1 table
/// (`docs/fiziksel-pos/sistem-verileri/odeme-durumu.md`).
@Suite("Rollback decisions")
struct RollbackDecisionTests {
    static let activities: [PaymentType] = [.sale, .cancel]

    @Test("before sending: not taken (1–3, 7–10) → send", arguments: activities)
    func notTakenSends(activity: PaymentType) {
        for status in [1, 2, 3, 7, 8, 9, 10] {
            #expect(RollbackDecision.beforeSending(statusId: status, activity: activity) == .send, "status \(status)")
        }
    }

    @Test(
        "before sending: 11 or final → not revocable without sending; 12 → already rolled back", arguments: activities)
    func takenOrFinal(activity: PaymentType) {
        for status in [11, 4, 5] {
            guard
                case .notRevocable(let why, let statusId) = RollbackDecision.beforeSending(
                    statusId: status, activity: activity)
            else {
                Issue.record("status \(status)")
                continue
            }
            #expect(statusId == status)
            #expect(why.contains(PaymentStatus.describe(status)))
        }
        #expect(RollbackDecision.beforeSending(statusId: 12, activity: activity) == .alreadyRolledBack(statusId: 12))
    }

    @Test("before sending: 6, no status or an undocumented number → ask again, never send blind", arguments: activities)
    func unknownAsksAgain(activity: PaymentType) {
        for status in [6, nil, 13] as [Int?] {
            guard case .askAgain = RollbackDecision.beforeSending(statusId: status, activity: activity) else {
                Issue.record("status \(String(describing: status))")
                continue
            }
        }
    }

    static let window: EpochMillis = 1_800_000_006_000
    static let words = #"HTTP 200, ErrorCode 1, ClientMessage "Payment.Async.NotConvenientStatusForThisOperation""#

    static func refusal(_ status: Int?, _ activity: PaymentType, at: EpochMillis, attempts: Int = 0) -> RollbackDecision
    {
        RollbackDecision.afterRefusal(
            statusId: status, activity: activity, paywallWords: words, refusedAt: at, windowOpenedAt: window,
            attemptsBefore: attempts)
    }

    @Test("refused and taken or final → not revocable with Paywall's words and the status", arguments: activities)
    func refusedTaken(activity: PaymentType) {
        for status in [11, 4, 5] {
            guard case .notRevocable(let why, let statusId) = Self.refusal(status, activity, at: Self.window + 100)
            else {
                Issue.record("status \(status)")
                continue
            }
            #expect(statusId == status)
            #expect(why.contains("Payment.Async.NotConvenientStatusForThisOperation"))
        }
    }

    @Test(
        "refused 'too early' (not taken, within a few seconds of the window) → one retry a window later",
        arguments: activities)
    func refusedTooEarly(activity: PaymentType) {
        let at = Self.window + RollbackDecision.tooEarlyGraceMillis
        guard case .retry(let retryAt, _) = Self.refusal(2, activity, at: at) else {
            Issue.record("expected a retry")
            return
        }
        #expect(retryAt == at + WorkerConfiguration.paywallRollbackWindowMillis)
        #expect(retryAt > Self.window)
        // Bounded: a second refusal is final.
        guard case .notRevocable = Self.refusal(2, activity, at: at, attempts: 1) else {
            Issue.record("a second refusal must be final")
            return
        }
    }

    @Test("refused well after the window while not taken → not revocable", arguments: activities)
    func refusedLate(activity: PaymentType) {
        guard
            case .notRevocable(let why, 2) = Self.refusal(
                2, activity, at: Self.window + RollbackDecision.tooEarlyGraceMillis + 1)
        else {
            Issue.record("expected not revocable")
            return
        }
        #expect(why.contains("Payment.Async.NotConvenientStatusForThisOperation"))
    }

    @Test("refused, then 12 → done; unknown → ask again", arguments: activities)
    func refusedOther(activity: PaymentType) {
        #expect(Self.refusal(12, activity, at: Self.window) == .alreadyRolledBack(statusId: 12))
        guard case .askAgain = Self.refusal(nil, activity, at: Self.window) else {
            Issue.record("expected ask again")
            return
        }
    }

    @Test("the activity's status comes from the inquiry when it is that activity, else from the activities list")
    func statusSource() throws {
        let saleInquiry = try #require(
            PaymentInfo(try JSONValue.parse(#"{"PaymentRequestId":"p","PaymentTypeId":1,"PaymentStatusId":2}"#)))
        let cancelInquiry = try #require(
            PaymentInfo(try JSONValue.parse(#"{"PaymentRequestId":"p","PaymentTypeId":2,"PaymentStatusId":11}"#)))
        #expect(RollbackDecision.status(of: .sale, inquiry: saleInquiry, activities: nil) == .status(2))
        #expect(RollbackDecision.status(of: .cancel, inquiry: cancelInquiry, activities: nil) == .status(11))
        #expect(RollbackDecision.status(of: .cancel, inquiry: saleInquiry, activities: nil) == .needActivities)
        #expect(RollbackDecision.status(of: .sale, inquiry: cancelInquiry, activities: nil) == .needActivities)
        let page = try #require(
            PaymentActivityPage(
                try JSONValue.parse(
                    #"{"Items":[{"Id":"a","PaymentTypeId":1,"PaymentStatusId":4},{"Id":"c","PaymentTypeId":2,"PaymentStatusId":2},{"Id":"c","PaymentTypeId":2,"PaymentStatusId":12}]}"#
                )))
        #expect(RollbackDecision.status(of: .cancel, inquiry: saleInquiry, activities: page) == .status(12))
        #expect(RollbackDecision.status(of: .sale, inquiry: cancelInquiry, activities: page) == .status(4))
        #expect(RollbackDecision.activity(of: .syncSaleRollback) == .sale)
        #expect(RollbackDecision.activity(of: .syncCancelRollback) == .cancel)
    }
}

/// `Pair.Async.AuthenticationFailed` is decided by a probe with the same keys.
@Suite("Credential probe")
struct CredentialProbeTests {
    static let refusal = PaywallAnswer(
        response: PaywallHTTPResponse(
            status: 200, headers: PaywallHeaders(),
            text:
                #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Pair.Async.AuthenticationFailed","Message":"Yetki hatası"}"#
        ))
    static let listOK = PaywallAnswer(
        response: PaywallHTTPResponse(
            status: 200, headers: PaywallHeaders(), text: #"{"Result":{"Items":[]},"Succeeded":true}"#))

    @Test("probe refused too → pause (unavailable, credentials)")
    func probeRefused() {
        let outcome = CredentialProbe.resolve(
            refusal: Self.refusal, probe: .unavailable(PaywallProblem(code: .credentialsRefused)))
        guard case .unavailable(let problem) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(problem.code == .credentialsRefused)
        #expect(problem.answer?.clientMessage == "Pair.Async.AuthenticationFailed")
    }

    @Test("probe accepted → this command fails with Paywall's words")
    func probeAccepted() {
        #expect(
            CredentialProbe.resolve(refusal: Self.refusal, probe: .succeeded(Self.listOK)) == .rejected(Self.refusal))
    }

    @Test("probe could not reach Paywall → connectivity pause")
    func probeOffline() {
        let offline = PaywallOutcome.transient(
            retryAfter: nil,
            PaywallProblem(code: .transport, transportError: PaywallTransportError(code: .connectionRefused)))
        guard case .unavailable = CredentialProbe.resolve(refusal: Self.refusal, probe: offline) else {
            Issue.record("expected a pause")
            return
        }
    }

    @Test("the interpreter never fails or counts an unresolved doubt")
    func interpreterSafe() {
        let interpreter = OutcomeInterpreter(configuration: testConfiguration())
        let result = interpreter.interpret(
            .credentialsInDoubt(Self.refusal), command: command(1, .asyncPairConfirm, state: .inFlight), owner: "o",
            startedAt: t0, now: t0, jitter: 0)
        #expect(!result.update.countsAsAttempt)
        if case .finish = result.update.next { Issue.record("must not finish") }
    }
}

/// The payment list scan: 0-based as documented, robust to a Paywall that counts from 1.
@Suite("Payment list scan")
struct PaymentListScanTests {
    static func page(items: Int, current: Int?, count: Int?, total: Int? = nil) -> PaymentListPage {
        let list = (0..<items).map { #"{"Id":"p\#($0)","MerchantUniqueCode":"m\#($0)"}"# }.joined(separator: ",")
        var paging: [String] = []
        if let current { paging.append(#""CurrentPage":\#(current)"#) }
        if let count { paging.append(#""PageCount":\#(count)"#) }
        if let total { paging.append(#""TotalCount":\#(total)"#) }
        let text = #"{"Items":[\#(list)],"Pagination":{\#(paging.joined(separator: ","))}}"#
        return PaymentListPage(try! JSONValue.parse(text))!
    }

    @Test("0-based: reads every page, stops on a short page")
    func zeroBased() {
        #expect(PaymentListScan.next(after: Self.page(items: 2, current: 0, count: 3), requested: 0, pageSize: 2) == 1)
        #expect(PaymentListScan.next(after: Self.page(items: 2, current: 1, count: 3), requested: 1, pageSize: 2) == 2)
        #expect(
            PaymentListScan.next(after: Self.page(items: 1, current: 2, count: 3), requested: 2, pageSize: 2) == nil)
    }

    @Test("a full last page is never taken as the end by PageCount alone (one extra read, no skipped page)")
    func fullLastPage() {
        #expect(PaymentListScan.next(after: Self.page(items: 2, current: 1, count: 2), requested: 1, pageSize: 2) == 2)
        #expect(
            PaymentListScan.next(after: Self.page(items: 0, current: 2, count: 2), requested: 2, pageSize: 2) == nil)
    }

    @Test("1-based Paywall answering page 1 to index 0: continues with 2, reads the last page, stops past it")
    func oneBased() {
        #expect(PaymentListScan.next(after: Self.page(items: 2, current: 1, count: 2), requested: 0, pageSize: 2) == 2)
        #expect(
            PaymentListScan.next(after: Self.page(items: 2, current: 2, count: 2), requested: 2, pageSize: 2) == nil)
    }

    @Test("1-based Paywall answering nothing to index 0 while it has payments: reads index 1")
    func oneBasedEmptyFirst() {
        #expect(
            PaymentListScan.next(
                after: Self.page(items: 0, current: nil, count: 1, total: 2), requested: 0, pageSize: 2) == 1)
        #expect(
            PaymentListScan.next(after: Self.page(items: 0, current: 0, count: 0, total: 0), requested: 0, pageSize: 2)
                == nil)
    }

    @Test("no paging block: short page ends, full page continues")
    func noPaging() {
        #expect(
            PaymentListScan.next(after: Self.page(items: 2, current: nil, count: nil), requested: 0, pageSize: 2) == 1)
        #expect(
            PaymentListScan.next(after: Self.page(items: 1, current: nil, count: nil), requested: 1, pageSize: 2) == nil
        )
    }
}
