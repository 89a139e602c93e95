import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import PaywallSimulator
import Synchronization
import Testing
import OutboxTestSupport

@testable import OutboxWorker

/// A Paywall stand-in answering from a script per path, recording what it received and when
/// (by the test's manual clock). Deterministic: no randomness, no real time in any rule.
final class ScriptedPaywall: Sendable {
    typealias Answer = Result<PaywallHTTPResponse, PaywallTransportError>
    struct Received: Sendable {
        var path: String
        var at: EpochMillis
        var body: String
    }
    let clock: ManualWallClock
    private let state = Mutex<(scripts: [String: [Answer]], fallback: [String: Answer], received: [Received])>(
        ([:], [:], []))

    init(clock: ManualWallClock) { self.clock = clock }

    /// Answers the next requests to paths containing `suffix` (the longest match wins) with
    /// `answers`, then `then` for ever.
    func script(_ suffix: String, _ answers: [Answer], then: Answer) {
        state.withLock {
            $0.scripts[suffix] = answers
            $0.fallback[suffix] = then
        }
    }

    var received: [Received] { state.withLock { $0.received } }
    func count(_ part: String) -> Int { received.filter { $0.path.contains(part) }.count }

    var transport: InMemoryPaywallTransport {
        InMemoryPaywallTransport { [self] request throws(PaywallTransportError) in
            let answer: Answer = state.withLock { s in
                s.received.append(Received(path: request.path, at: clock.now(), body: request.bodyText ?? ""))
                guard let suffix = s.fallback.keys.sorted(by: { $0.count > $1.count }).first(where: { request.path.contains($0) })
                else { return .success(PaywallHTTPResponse(status: 404, text: "")) }
                if var queue = s.scripts[suffix], !queue.isEmpty {
                    let next = queue.removeFirst()
                    s.scripts[suffix] = queue
                    return next
                }
                return s.fallback[suffix]!
            }
            return try answer.get()
        }
    }

    static func ok(_ body: String) -> Answer { .success(PaywallHTTPResponse(status: 200, text: body)) }
    static func status(_ code: Int, _ body: String = "", retryAfter: Int? = nil) -> Answer {
        var headers = PaywallHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: "\(retryAfter)") }
        return .success(PaywallHTTPResponse(status: code, headers: headers, text: body))
    }
    static let lost = Answer.failure(PaywallTransportError(code: .connectionClosed, detail: "closed after the request"))
    static let emptyList = ok(
        #"{"Result":{"Items":[],"Pagination":{"CurrentPage":0,"PageCount":1,"PageSize":100,"TotalCount":0}},"ErrorCode":0,"Succeeded":true,"Failed":false}"#)
    static func accepted(_ id: String = paymentID) -> Answer {
        ok(#"{"Result":{"PaymentRequestId":"\#(id)","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false}"#)
    }
    static func refused(_ clientMessage: String) -> Answer {
        ok(#"{"Result":null,"ErrorCode":1,"Succeeded":false,"Failed":true,"Message":"refused","ClientMessage":"\#(clientMessage)"}"#)
    }
}

/// Runs a worker on a fresh database with a scripted Paywall and a manual clock.
struct ScriptedRun {
    let directory: URL
    let store: OutboxStore
    let clock: ManualWallClock
    let paywall: ScriptedPaywall
    var configuration: WorkerConfiguration

    init(adjust: (inout WorkerConfiguration) -> Void = { _ in }) throws {
        directory = Scratch.url("scripted")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("outbox.sqlite").path
        store = try OutboxStore(OutboxStoreConfiguration(path: path))
        clock = ManualWallClock(start: SystemWallClock().now())
        paywall = ScriptedPaywall(clock: clock)
        configuration = testConfiguration(path: path)
        configuration.idlePollMillis = 5
        configuration.concurrency = 2
        adjust(&configuration)
    }

    /// Runs the worker, advancing the clock by `step` ms every few real milliseconds, until
    /// `done` holds (bounded in real time; the rules themselves only see the manual clock).
    func run(step: EpochMillis = 250, until done: @Sendable () throws -> Bool) async throws {
        let worker = try OutboxWorker(
            configuration: configuration, store: SQLiteWorkerStore(configuration.store), transport: paywall.transport, clock: clock,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        // A bound on real time that only a stuck worker reaches: the rules see only the manual
        // clock, which moves when this loop does, so a busy machine makes the run take longer.
        let limit = ContinuousClock.now + .seconds(180)
        while try !done() {
            guard ContinuousClock.now < limit else {
                Issue.record("timed out; inbox: \(try store.inbox(after: 0).map { ($0.outcome?.outcome, $0.outcome?.reason, $0.outcome?.message) })")
                return
            }
            clock.advance(by: step)
            try await Task.sleep(for: .milliseconds(3))
        }
    }

    func outcome() throws -> InboxOutcome? { try store.inbox(after: 0).first?.outcome }
}

@Suite("Money safety scenarios (issue 9)", .serialized)
struct MoneySafetyScenarioTests {
    @Test("item 1: 500 on the sale, 503 on four lookups, then 'not there' after the deadline: expired, never resent late")
    func notSentAfterDeadline() async throws {
        let run = try ScriptedRun { $0.maxAttempts = 10 }  // the default budget
        let key = Payloads.key()
        let deadline = run.clock.now() + 3_000
        _ = try run.store.enqueue(
            NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key), deadline: deadline))
        run.paywall.script("/sale", [ScriptedPaywall.status(500)], then: ScriptedPaywall.accepted())
        run.paywall.script(
            "/payment/list", Array(repeating: ScriptedPaywall.status(503, retryAfter: 1), count: 4), then: ScriptedPaywall.emptyList)
        try await run.run { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .expired && outcome.reason == .deadlinePassed, "\(outcome)")
        let sales = run.paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sales.count == 1 && sales.allSatisfy { $0.at <= deadline }, "a sale was sent after its deadline")
    }

    @Test("item 5: lost answer, proven absent, the resend refused: failed with Paywall's words, not dead")
    func definiteRefusalAfterProof() async throws {
        let run = try ScriptedRun()
        let key = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
        run.paywall.script("/sale", [ScriptedPaywall.lost], then: ScriptedPaywall.refused("Terminal.NotFound"))
        run.paywall.script("/payment/list", [], then: ScriptedPaywall.emptyList)
        try await run.run { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .failed && outcome.clientMessage == "Terminal.NotFound", "\(outcome)")
        #expect(run.paywall.count("/sale") == 2)
        // The resend came only after the grace: request timeout (5 s) + landing grace (1 s).
        let sales = run.paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sales[1].at - sales[0].at >= 6_000)
    }

    @Test("item 4: Paywall holds the code for another amount: merchant_unique_code_conflict, never succeeded")
    func conflictingDuplicate() async throws {
        let run = try ScriptedRun()
        let key = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key, amount: "99.00")))
        run.paywall.script("/sale", [], then: ScriptedPaywall.refused("Payment.Async.MerchantUniqueCodeAlreadyExists"))
        run.paywall.script(
            "/payment/list", [],
            then: ScriptedPaywall.ok(
                #"{"Result":{"Items":[{"Id":"\#(paymentID)","MerchantUniqueCode":"\#(key)","Amount":10.00,"PaymentStatusId":4}],"Pagination":{"CurrentPage":0,"PageCount":1,"PageSize":100,"TotalCount":1}},"ErrorCode":0,"Succeeded":true,"Failed":false}"#))
        try await run.run { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .failed && outcome.reason == .merchantUniqueCodeConflict, "\(outcome)")
        #expect(outcome.paymentRequestId == paymentID && outcome.message?.contains("Amount 99.00 ≠ 10.00") == true)
        #expect(try run.store.find(reference: key).first?.paywallPaymentRequestId == nil)
        #expect(run.paywall.count("/sale") == 1, "a duplicate-code answer is never followed by a resend")
    }

    @Test("item 10: a pairing request whose answer was lost is never resent: dead/outcome_unknown")
    func pairingNotResent() async throws {
        let run = try ScriptedRun()
        _ = try run.store.enqueue(
            NewCommand(commandKey: Payloads.key(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#))
        run.paywall.script("/pair/async/request", [ScriptedPaywall.lost], then: ScriptedPaywall.ok(#"{"Result":{"PairAsyncRequestId":"\#(paymentID)","PairCode":"123456"},"Succeeded":true}"#))
        run.paywall.script("/payment/list", [], then: ScriptedPaywall.emptyList)  // the pause's probe
        try await run.run { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .dead && outcome.reason == .outcomeUnknown, "\(outcome)")
        #expect(run.paywall.count("/pair/async/request") == 1)
    }

    @Test("item 9: while Paywall is unreachable, a never-sent sale expires at its deadline, not when Paywall is back")
    func expiresWhilePaused() async throws {
        let run = try ScriptedRun { $0.breakerBackoff = Backoff(baseMillis: 600_000, factor: 2, capMillis: 600_000) }
        let refused = ScriptedPaywall.Answer.failure(PaywallTransportError(code: .connectionRefused, detail: "down"))
        run.paywall.script("/sale", [], then: refused)
        run.paywall.script("/payment/list", [], then: refused)
        let first = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: first, kind: .asyncSale, payload: Payloads.sale(first)))
        let key = Payloads.key()
        // (deadline, still paused when it expired)
        let seen = Mutex<(deadline: EpochMillis?, pausedAtExpiry: Bool)>((nil, false))
        try await run.run {
            let paused = try run.store.workerStatuses().first?.state == "paused"
            if paused, seen.withLock({ $0.deadline == nil }) {
                // Queued while paused: it is never sent, and must still end at its deadline.
                let deadline = run.clock.now() + 20_000
                seen.withLock { $0.deadline = deadline }
                _ = try run.store.enqueue(
                    NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key), deadline: deadline))
            }
            guard try run.store.find(reference: key).first?.state == .expired else { return false }
            seen.withLock { $0.pausedAtExpiry = paused }
            return true
        }
        let (deadline, pausedAtExpiry) = seen.withLock { ($0.deadline, $0.pausedAtExpiry) }
        let expired = try #require(try run.store.find(reference: key).first)
        let late = try #require(expired.finishedAt) - (try #require(deadline))
        // On time means while Paywall is still unreachable: the probe is 600 s away (the manual
        // clock runs ahead of a busy machine's scheduling, so no tighter bound in real terms).
        #expect(late >= 0 && late < 600_000, "expired \(late) ms after the deadline")
        #expect(pausedAtExpiry, "while still paused")
        #expect(!run.paywall.received.contains { $0.body.contains(key) }, "never sent")
    }

    @Test("item 11: a rollback naming an unknown PaymentRequestId fails at once")
    func rollbackOfNothing() async throws {
        let run = try ScriptedRun()
        _ = try run.store.enqueue(
            NewCommand(commandKey: Payloads.key(), kind: .syncSaleRollback, payload: "{}", paymentRequestId: paymentID))
        run.paywall.script("/payment/inquiry", [], then: ScriptedPaywall.refused("Payment.Request.RequestNotFound"))
        run.paywall.script("/payment/activities", [], then: ScriptedPaywall.refused("Payment.Request.RequestNotFound"))
        try await run.run { try run.outcome() != nil }
        let outcome = try #require(try run.outcome())
        #expect(outcome.outcome == .failed && outcome.reason == .paymentNotFound, "\(outcome)")
        #expect(run.paywall.received.count <= 2)
    }
}

@Suite("Retry-After holds every request with the same credentials (issue 9, item 7)", .serialized)
struct RetryAfterHoldTests {
    @Test("a 429 with Retry-After 2 s on one sale holds the next sale and reads until then, spends no attempt, and is visible to other workers")
    func holdIsShared() async throws {
        let run = try ScriptedRun { $0.concurrency = 1 }
        run.paywall.script("/sale", [ScriptedPaywall.status(429, retryAfter: 2)], then: ScriptedPaywall.accepted())
        let first = Payloads.key()
        let second = Payloads.key()
        _ = try run.store.enqueue(NewCommand(commandKey: first, kind: .asyncSale, payload: Payloads.sale(first)))
        _ = try run.store.enqueue(NewCommand(commandKey: second, kind: .asyncSale, payload: Payloads.sale(second)))
        try await run.run(step: 100) { try run.store.inbox(after: 0).count == 2 }
        let sales = run.paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sales.count == 3)
        let throttledAt = sales[0].at
        #expect(sales.dropFirst().allSatisfy { $0.at >= throttledAt + 2_000 }, "a request inside the hold: \(sales.map { $0.at - throttledAt })")
        #expect(try run.store.list(CommandFilter()).allSatisfy { $0.attempts == 1 }, "the 429 spent no attempt")
        // Written for the other workers on this database.
        #expect(try run.store.activeHolds(now: throttledAt).keys.sorted() == ["private"])
    }
}

@Suite("Review fixes: capped pages, huge Retry-After, one probe at a time")
struct ReviewFixTests {
    @Test("a page Paywall capped below the size asked for is not the last page")
    func cappedPage() {
        let list = (0..<50).map { #"{"Id":"p\#($0)","MerchantUniqueCode":"m\#($0)"}"# }.joined(separator: ",")
        let text = #"{"Items":[\#(list)],"Pagination":{"CurrentPage":0,"PageCount":3,"PageSize":50,"TotalCount":130}}"#
        let page = PaymentListPage(try! JSONValue.parse(text))!
        #expect(PaymentListScan.next(after: page, requested: 0, pageSize: 100) == 1)
    }

    @Test("a Retry-After of any size is honoured up to an hour and never overflows", arguments: [
        "10000000000000000", "99999999999999999999999", "3601", "Sun, 06 Nov 2095 08:49:37 GMT",
    ])
    func hugeRetryAfter(_ header: String) {
        #expect(RetryAfter.delay(header, now: t0) == .seconds(3_600))
    }

    @Test("a command that only waited or expired while a probe is in flight does not end the probe")
    func oneProbe() async {
        let state = DispatchState(breaker: CircuitBreaker(backoff: Backoff(baseMillis: 1_000, factor: 2, capMillis: 1_000)))
        await state.record(.unavailable(reason: "down"), now: t0)
        _ = state.value.withLock { $0.breaker.allowance(now: t0 + 10_000) }
        state.value.withLock { $0.breaker.probeStarted() }
        await state.record(nil, now: t0 + 10_001)
        #expect(state.value.withLock { $0.breaker.allowance(now: t0 + 10_002) } != .probe)
    }
}
