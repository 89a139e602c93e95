import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient
import Synchronization
import Testing

@testable import OutboxWorker

@Suite("Fast lane: what the claim's transaction marks as leaving at once")
struct FastLaneTests {
    /// A lane on a real worker (its planner, client and state); nothing is sent.
    static func lane(breaker: BreakerView = .closed, hold: CredentialKind? = nil) throws -> FastLane {
        let run = try ScriptedRun()
        let worker = try OutboxWorker(
            configuration: run.configuration, store: SQLiteWorkerStore(run.configuration.store), transport: run.paywall.transport, clock: run.clock,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        let state = DispatchState(breaker: CircuitBreaker(backoff: run.configuration.breakerBackoff))
        if let hold { state.hold(hold, until: t0 + 60_000) }
        return FastLane(processor: CommandProcessor(worker: worker, state: state), breaker: breaker)
    }

    static let sale = command(1, .asyncSale, key: saleKey)
    static let salePayload = Payloads.sale(saleKey)
    static func withPayload(_ command: OutboxCommand, _ payload: String) -> OutboxCommand {
        var command = command
        command.payload = payload
        return command
    }
    static let cancel = withPayload(
        command(2, .asyncCancel, saleKey: saleKey), "{}")

    /// Each row: a command, its context, the breaker, a hold, and whether it may be marked at
    /// once. Every "no" is a check the full path makes before its mark (CommandProcessor.send):
    /// the lane must never mark what that path would not send.
    @Test(
        "only what the full path would send straight away is marked, with its deadline",
        arguments: [
            ("a fresh sale", withPayload(sale, salePayload), PlanningContext(), BreakerView.closed, nil, true),
            ("the probe after a pause", withPayload(sale, salePayload), PlanningContext(), .probing, nil, true),
            ("dispatch paused", withPayload(sale, salePayload), PlanningContext(), .open(until: t0 + 9_000, reason: "x"), nil, false),
            ("a Retry-After hold on its keys", withPayload(sale, salePayload), PlanningContext(), .closed, CredentialKind.private, false),
            ("a hold on the other keys", withPayload(sale, salePayload), PlanningContext(), .closed, CredentialKind.public, true),
            ("a sale with a queued cancel (revoked locally)", withPayload(sale, salePayload), PlanningContext(related: [cancel]), .closed, nil, false),
            ("an invalid payload (its refusal is recorded by the full path)", withPayload(sale, #"{"Amount":1}"#), PlanningContext(), .closed, nil, false),
            ("a sale that may already be at Paywall (reconciled)", withPayload(command(1, .asyncSale, key: saleKey, needsReconcile: true), salePayload), PlanningContext(), .closed, nil, false),
            ("a pairing request (Paywall does not deduplicate it: fsynced mark)", withPayload(command(3, .asyncPairRequest), #"{"TerminalTagCode":"T1"}"#), PlanningContext(), .closed, nil, false),
            ("a sale past its deadline (expires)", withPayload(command(1, .asyncSale, key: saleKey, deadline: t0 - 1), salePayload), PlanningContext(), .closed, nil, false),
        ] as [(String, OutboxCommand, PlanningContext, BreakerView, CredentialKind?, Bool)])
    func marks(
        _ name: String, _ claimed: OutboxCommand, _ context: PlanningContext, _ breaker: BreakerView,
        _ hold: CredentialKind?, _ marked: Bool
    ) throws {
        let lane = try Self.lane(breaker: breaker, hold: hold)
        let step = lane.decide(claimed, context: context, now: t0 + 10)
        if marked {
            let deadline = lane.processor.worker.configuration.deadline(of: claimed)
            #expect(step == .markSending(deadline: deadline), "\(name)")
            #expect(lane.ready[claimed.id] != nil, "\(name)")
        } else {
            #expect(step == .claimOnly, "\(name)")
            #expect(lane.ready[claimed.id] == nil, "\(name)")
        }
    }

    @Test("a cancel whose sale Paywall accepted goes with the sale's PaymentRequestId")
    func cancelCarriesPayment() throws {
        let lane = try Self.lane()
        let accepted = command(1, .asyncSale, key: saleKey, state: .succeeded, prid: paymentID, acceptedAt: t0)
        let step = lane.decide(Self.cancel, context: PlanningContext(sale: accepted), now: t0 + 10)
        #expect(step == .markSending(deadline: lane.processor.worker.configuration.deadline(of: Self.cancel)))
        #expect(lane.ready[Self.cancel.id]?.paymentRequestId == paymentID)
    }
}

@Suite("Dispatcher plumbing: event mailbox and group commit")
struct DispatchPlumbingTests {
    @Test("events that arrive between two turns are taken together, in order; finish ends the wait")
    func mailboxTakesAll() async {
        let mailbox = EventMailbox<Int>()
        for event in 1...5 { mailbox.yield(event) }
        #expect(await mailbox.next() == [1, 2, 3, 4, 5])
        let waiting = Task { await mailbox.next() }
        // The waiter gets the next event as soon as it comes, alone.
        mailbox.yield(6)
        #expect(await waiting.value == [6])
        mailbox.finish()
        mailbox.yield(7)
        #expect(await mailbox.next() == [])
    }

    @Test("a cancelled wait returns empty (the loop ends, as an ended stream did)")
    func mailboxCancel() async {
        let mailbox = EventMailbox<Int>()
        let waiting = Task { await mailbox.next() }
        waiting.cancel()
        #expect(await waiting.value == [])
    }

    @Test("concurrent records share transactions; a group one trigger refuses fails alone, the others are written")
    func groupCommit() async throws {
        let run = try ScriptedRun()
        let ids = try (0..<40).map { _ in
            let key = Payloads.key()
            return try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key))).id
        }
        _ = try run.store.claim(owner: "w", now: 1_000, limit: 40, leaseMillis: 60_000)
        let commit = GroupCommit(store: SQLiteWorkerStore(run.store), worker: "w")
        // Id 3's group breaks a CHECK: its inbox row's `result` is not JSON (the schema refuses it).
        let results = await withTaskGroup(of: (Int64, Result<Bool, OutboxStoreError>).self) { group in
            for id in ids {
                group.addTask {
                    var outcome = InboxOutcome(.succeeded)
                    if id == ids[3] { outcome.result = "{not json" }
                    let update = CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(outcome))
                    do throws(OutboxStoreError) { return (id, .success(try await commit.record([update], now: 2_000))) } catch {
                        return (id, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [Int64: Result<Bool, OutboxStoreError>]()) { $0[$1.0] = $1.1 }
        }
        for id in ids where id != ids[3] {
            #expect((try? results[id]?.get()) == true, "\(id)")
            #expect(try run.store.command(id: id)?.state == .succeeded)
        }
        #expect(try run.store.command(id: ids[3])?.state == .inFlight)
    }
}

@Suite("Fast lane: the last look before a marked command's request leaves", .serialized)
struct FastLaneLastLookTests {
    /// Claims and marks one sale through the lane; returns what the task would be given.
    static func marked(_ run: ScriptedRun, processor: CommandProcessor, deadline: EpochMillis?) throws
        -> (OutboxCommand, PlanningContext, ReadySend)
    {
        let key = Payloads.key()
        _ = try run.store.enqueue(
            NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key), deadline: deadline))
        let lane = FastLane(processor: processor, breaker: .closed)
        let claimed = try run.store.claimBatch(
            owner: processor.owner, clock: run.clock, limit: 1, leaseMillis: 60_000
        ) { command, context, now in lane.decide(command, context: context, now: now) }
        let claim = try #require(claimed.first)
        #expect(claim.markedAt != nil)
        return (claim.command, claim.context, try #require(lane.ready[claim.command.id]))
    }

    /// What a marked sale whose deadline passed before its request must leave: nothing sent,
    /// `expired` / `deadline_passed` in the inbox, no send recorded, the reconcile mark taken back.
    static func expectExpiredUnsent(
        _ run: ScriptedRun, _ command: OutboxCommand, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(run.paywall.count("/sale") == 0, sourceLocation: sourceLocation)
        let outcome = try #require(try run.outcome(), sourceLocation: sourceLocation)
        #expect(
            outcome.outcome == .expired && outcome.reason == .deadlinePassed, "\(outcome)", sourceLocation: sourceLocation)
        #expect(try run.store.sendHistory(commandID: command.id).sends == 0, sourceLocation: sourceLocation)
        #expect(try run.store.command(id: command.id)?.needsReconcile == false, sourceLocation: sourceLocation)
    }

    static func processor(_ run: ScriptedRun) throws -> CommandProcessor {
        let worker = try OutboxWorker(
            configuration: run.configuration, store: SQLiteWorkerStore(run.configuration.store), transport: run.paywall.transport, clock: run.clock,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        return CommandProcessor(
            worker: worker, state: DispatchState(breaker: CircuitBreaker(backoff: run.configuration.breakerBackoff)))
    }

    @Test("a deadline that passes between the claim and the request: expired, nothing sent, the mark taken back")
    func deadlinePassedAfterMark() async throws {
        let run = try ScriptedRun()
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let processor = try Self.processor(run)
        let (command, context, ready) = try Self.marked(run, processor: processor, deadline: run.clock.now() + 1_000)
        run.clock.advance(by: 1_001)
        await processor.process(command, context: context, ready: ready)
        try Self.expectExpiredUnsent(run, command)
    }

    /// The checks before a request are older than the moment it leaves (a mark's COMMIT, a hold
    /// read): `sendLeaving`, the one place a command's request leaves (marked commands and
    /// rollbacks), looks at the deadline with the time it records as the start.
    @Test("a deadline that passes after the last look, just before the request: expired, nothing sent, the mark taken back")
    func deadlinePassedAtTheSend() async throws {
        let run = try ScriptedRun()
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let processor = try Self.processor(run)
        let (command, _, ready) = try Self.marked(run, processor: processor, deadline: run.clock.now() + 1_000)
        #expect(await processor.lastLook(command, kind: .asyncSale) == nil)
        run.clock.advance(by: 1_001)
        await processor.sendMarked(
            command, kind: .asyncSale, request: ready.request, paymentRequestId: nil,
            logger: Logger(label: "w", factory: { _ in SwiftLogNoOpLogHandler() }))
        try Self.expectExpiredUnsent(run, command)
    }

    @Test("a Retry-After hold that begins between the claim and the request: given back, nothing sent, no mark left")
    func holdAfterMark() async throws {
        let run = try ScriptedRun()
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let processor = try Self.processor(run)
        let (command, context, ready) = try Self.marked(run, processor: processor, deadline: nil)
        // Another worker was told to wait: the hold is only in the database.
        try run.store.setHold(
            credentials: CredentialKind.private.rawValue, until: run.clock.now() + 30_000, reason: "429", by: "other",
            now: run.clock.now())
        await processor.process(command, context: context, ready: ready)
        #expect(run.paywall.count("/sale") == 0)
        let after = try #require(try run.store.command(id: command.id))
        #expect(after.state == .pending && !after.needsReconcile && after.dueAt >= run.clock.now() + 30_000, "\(after)")
        #expect(try run.store.sendHistory(commandID: command.id).sends == 0)
        #expect(try run.outcome() == nil)
    }

    @Test("with nothing in the way the marked request leaves once and its answer is recorded")
    func sendsWhenClear() async throws {
        let run = try ScriptedRun()
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let processor = try Self.processor(run)
        let (command, context, ready) = try Self.marked(run, processor: processor, deadline: nil)
        await processor.process(command, context: context, ready: ready)
        #expect(run.paywall.count("/sale") == 1)
        #expect(try run.outcome()?.outcome == .succeeded)
        #expect(try run.store.sendHistory(commandID: command.id).sends == 1)
    }
}
