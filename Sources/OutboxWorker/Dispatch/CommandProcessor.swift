import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient

/// Carries one claimed command through plan → (lookup | inquiry | send) → record.
struct CommandProcessor: Sendable {
    let worker: OutboxWorker
    let state: DispatchState
    /// Where sends record their answers, several per transaction under load.
    let outcomes: GroupCommit

    init(worker: OutboxWorker, state: DispatchState) {
        self.worker = worker
        self.state = state
        outcomes = GroupCommit(store: worker.store, worker: worker.configuration.workerID)
    }

    var owner: String { worker.configuration.workerID }
    var planner: CommandPlanner { CommandPlanner(configuration: worker.configuration) }
    var interpreter: OutcomeInterpreter { OutcomeInterpreter(configuration: worker.configuration) }

    /// The worker's logger with the command's metadata (`Logger.adding(_:)`).
    func logger(for command: OutboxCommand) -> Logger {
        worker.logger.adding([
            "outbox.command.id": "\(command.id)", "outbox.command.kind": "\(command.kindName)",
            "outbox.command.key": "\(command.commandKey)", "outbox.attempt": "\(command.attempts + 1)",
        ])
    }

    /// A claimed command: one the claim's transaction marked as leaving goes straight out with
    /// its ``ReadySend`` (``FastLane``); any other is planned, from `context` when the claim read
    /// it (``WorkerStore/claimBatch(owner:clock:limit:leaseMillis:decide:)``).
    func process(_ command: OutboxCommand, context: PlanningContext?, ready: ReadySend?) async {
        if let ready, let kind = command.kind {
            let logger = logger(for: command)
            // The claim's checks ran before its COMMIT and the hand-off to this task: look again
            // now, as the full path does just before its mark (a pause, a hold or the deadline
            // may have come meanwhile).
            if let withdrawn = await lastLook(command, kind: kind) {
                await withdraw(command, then: withdrawn, logger: logger)
                return
            }
            await sendMarked(
                command, kind: kind, request: ready.request, paymentRequestId: ready.paymentRequestId, logger: logger)
            return
        }
        await process(command, context: context)
    }

    /// For a command the claim marked as leaving: what to record instead of sending it, when
    /// its deadline has passed, dispatch is paused, or a Retry-After hold (this worker's or,
    /// read at most 100 ms ago, another's) is on its credentials; nil when it may leave now.
    func lastLook(_ command: OutboxCommand, kind: CommandKind) async -> CommandUpdate.Next? {
        let now = worker.clock.now()
        if let deadline = worker.configuration.deadline(of: command), now > deadline {
            return .finish(notSentPastDeadline(command, at: deadline))
        }
        if case .open(let until, let reason) = state.breakerView {
            return waitForPause(command, until: until, reason: reason, now: now)
        }
        if let until = await heldUntil(PaywallCatalog().endpoint(for: kind).credentials, now: now) {
            return waitForHold(command, until: until)
        }
        return nil
    }

    /// Records `next` for a command marked as leaving that did not leave, taking its mark back
    /// (``WorkerStore/withdrawMark(commandID:owner:needsReconcile:then:now:)``).
    func withdraw(_ command: OutboxCommand, then next: CommandUpdate.Next, logger: Logger) async {
        let now = worker.clock.now()
        let group = withFollows(
            [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: next)], command: command,
            now: now, paymentRequestId: nil)
        let applied: Bool
        do {
            applied = try await worker.store.withdrawMark(
                commandID: command.id, owner: owner, needsReconcile: command.needsReconcile, then: group[0], now: now)
        } catch {
            notRecorded(error, logger: logger)
            return
        }
        await recorded(group, applied: applied, command: command, now: now, logger: logger, paymentRequestId: nil)
        await state.record(nil, now: now)
    }

    /// Plans `command` and carries out the decision; `context` is its planning context if the
    /// caller read it (else it is read here).
    func process(_ command: OutboxCommand, context known: PlanningContext? = nil) async {
        let logger = logger(for: command)
        let now = worker.clock.now()
        let decision: PlanDecision
        do {
            let context: PlanningContext
            if let known { context = known } else { context = try await worker.store.planningContext(for: command) }
            let planned = planner.plan(
                PlanInput(
                    command: command, sale: context.sale, related: context.related, now: now, breaker: state.breakerView,
                    owner: owner))
            // The command's phase bounds what may happen to it (CommandPhase): a decision it
            // forbids is not carried out.
            decision = CommandPhase.guarded(planned, for: command)
            if decision != planned {
                logger.critical(
                    "The planner chose what the command's phase forbids; ending it dead for an operator",
                    metadata: ["outbox.decision": "\(planned.name)", "outbox.phase": "\(CommandPhase(command).name)"])
            }
        } catch {
            logger.error("Could not read the command's context; giving it back", metadata: ["outbox.error": "\(error)"])
            _ = try? await worker.store.release(ids: [command.id], owner: owner, dueAt: now + 1_000, now: now)
            await state.record(nil, now: now)
            return
        }
        switch decision {
        case .wait(let until, let reason):
            logger.debug("Waiting", metadata: ["outbox.until": "\(isoTime(until))", "outbox.reason": "\(reason)"])
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    next: .reschedule(dueAt: until, needsReconcile: command.needsReconcile, lastError: reason))],
                command: command, logger: logger)
            await state.record(nil, now: now)
        case .finish(let outcome):
            await record(
                [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: .finish(outcome))],
                command: command, logger: logger)
            await state.record(nil, now: now)
        case .revokeLocally(let others):
            await revoke(command, others: others, logger: logger)
            await state.record(nil, now: now)
        case .send(let paymentRequestId):
            await send(command, paymentRequestId: paymentRequestId, logger: logger)
        case .reconcileSale:
            await reconcile(command, logger: logger)
        case .inquireBeforeRollback(let paymentRequestId, let windowOpenedAt):
            await inquireThenRollback(
                command, paymentRequestId: paymentRequestId, windowOpenedAt: windowOpenedAt, logger: logger)
        }
    }

    // MARK: - Sending

    func send(_ command: OutboxCommand, paymentRequestId: String?, logger: Logger) async {
        guard let kind = command.kind else { return }
        guard let request = await prepared(command, kind: kind, paymentRequestId: paymentRequestId, logger: logger) else {
            return
        }
        guard await beforeSending(command, kind: kind, logger: logger) else { return }
        await sendMarked(command, kind: kind, request: request, paymentRequestId: paymentRequestId, logger: logger)
    }

    /// Sends the request of a command marked as leaving, unless its deadline has passed: the one
    /// place a command's request leaves (``sendMarked(_:kind:request:paymentRequestId:logger:)``
    /// and ``sendRollback(_:paymentRequestId:activity:windowOpenedAt:logger:)`` both come here).
    /// Returns the time recorded as the request's start and the outcome; nil when it did not
    /// leave (the deadline had passed: the mark is taken back and the command ends as
    /// ``notSentPastDeadline(_:at:)`` says).
    ///
    /// The deadline is checked here last, with the time recorded as the start and no suspension
    /// point before the request is handed to the client: the checks before (the mark's, in its
    /// transaction; the fast lane's last look) are older by the mark's COMMIT (a round trip on
    /// PostgreSQL, an fsync for a durable mark) or a hold read. A chaos run on PostgreSQL saw a
    /// rollback's request start 2 ms after its deadline.
    func sendLeaving(_ command: OutboxCommand, request: PaywallRequest, logger: Logger) async
        -> (started: EpochMillis, outcome: PaywallOutcome)?
    {
        let started = worker.clock.now()
        if let deadline = worker.configuration.deadline(of: command), started > deadline {
            await withdraw(command, then: .finish(notSentPastDeadline(command, at: deadline)), logger: logger)
            return nil
        }
        return (started, await worker.client.send(request, logger: logger))
    }

    /// Sends a command already marked as leaving (``sendLeaving(_:request:logger:)``) and records
    /// the answer (through the group commit: several tasks' answers per transaction).
    func sendMarked(
        _ command: OutboxCommand, kind: CommandKind, request: PaywallRequest, paymentRequestId: String?, logger: Logger
    ) async {
        guard let (started, sent) = await sendLeaving(command, request: request, logger: logger) else { return }
        var outcome = sent
        await noteRetryAfter(outcome, credentials: PaywallCatalog().endpoint(for: kind).credentials)
        if case .credentialsInDoubt(let refusal) = outcome {
            // Pair.Async.AuthenticationFailed: are the keys refused, or only this command?
            logger.notice("Paywall refused the command as unauthorised; probing the same keys")
            outcome = CredentialProbe.resolve(refusal: refusal, probe: await probeCredentials(logger: logger))
        }
        let now = worker.clock.now()
        let interpretation = interpreter.interpret(
            outcome, command: command, owner: owner, startedAt: started, now: now, jitter: Double.random(in: 0..<1))
        await state.record(interpretation.breaker, now: now)
        // Answered: the slot may take the next command while this one records (RequestSlot).
        RequestSlot.current?.release()
        let group = withFollows([interpretation.update], command: command, now: now, paymentRequestId: paymentRequestId)
        let applied: Bool
        do {
            applied = try await outcomes.record(group, now: now)
        } catch {
            notRecorded(error, logger: logger)
            return
        }
        await recorded(group, applied: applied, command: command, now: now, logger: logger, paymentRequestId: paymentRequestId)
    }

    /// The validated request for `command`, or nil after recording its refusal: an invalid
    /// payload ends `failed` (reason `validation`, the field named) before anything is marked as
    /// leaving, so no request for it ever leaves.
    func prepared(_ command: OutboxCommand, kind: CommandKind, paymentRequestId: String?, logger: Logger) async
        -> PaywallRequest?
    {
        do {
            return try worker.client.prepare(
                kind: kind, payload: command.payload, paymentRequestId: paymentRequestId, logger: logger)
        } catch {
            let now = worker.clock.now()
            let interpretation = interpreter.interpret(
                .invalid(error), command: command, owner: owner, startedAt: now, now: now, jitter: 0)
            await state.record(interpretation.breaker, now: now)
            await record([interpretation.update], command: command, logger: logger)
            return nil
        }
    }

    /// The last look before a request leaves: no send while dispatch is paused (another task saw
    /// Paywall fail after this command was planned: only sends already in flight are exposed to
    /// one outage), and the database durably says the request may go out (``WorkerStore/markSending(commandID:owner:clock:deadline:durable:)``)
    /// before it does. False: it did not go; the command was given back or its lease is gone.
    func beforeSending(_ command: OutboxCommand, kind: CommandKind, logger: Logger) async -> Bool {
        let now = worker.clock.now()
        if !(await heldBack(command, credentials: PaywallCatalog().endpoint(for: kind).credentials, logger: logger)) {
            return false
        }
        if case .open(let until, let reason) = state.breakerView {
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    next: waitForPause(command, until: until, reason: reason, now: now))],
                command: command, logger: logger)
            return false
        }
        do {
            let mark = try await worker.store.markSending(
                commandID: command.id, owner: owner, clock: worker.clock,
                deadline: worker.configuration.deadline(of: command), durable: kind.unknownOutcomeResolution == .none)
            switch mark {
            case .marked:
                return true
            case .leaseLost:
                logger.notice("Not sent: the lease was lost before the request left")
                return false
            case .pastDeadline(let at):
                // The deadline passed between the plan and the request leaving (a wait for the
                // write lock): it does not leave.
                await record(
                    [CommandUpdate(
                        commandID: command.id, precondition: .leasedBy(owner),
                        next: .finish(notSentPastDeadline(command, at: at)))],
                    command: command, logger: logger)
                return false
            }
        } catch {
            logger.error(
                "Not sent: the database could not say that the request may go out", metadata: ["outbox.error": "\(error)"])
            _ = try? await worker.store.release(ids: [command.id], owner: owner, dueAt: now + 1_000, now: now)
            return false
        }
    }

    /// True when requests with `credentials` may go now. Otherwise (a Retry-After hold, from this
    /// worker or another on the database) the command is given back due at the hold's end,
    /// spending nothing, and false is returned.
    func heldBack(_ command: OutboxCommand, credentials: CredentialKind, logger: Logger) async -> Bool {
        let now = worker.clock.now()
        guard let until = await heldUntil(credentials, now: now) else { return true }
        await record(
            [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: waitForHold(command, until: until))],
            command: command, logger: logger)
        return false
    }

    // MARK: - What a command that may not leave now gets instead (full path and last look)

    /// Dispatch is paused until `until` (epoch ms) because of `reason`: back to the queue, due
    /// when the pause ends (``WorkerConfiguration/pausedDue(_:_:)``), spending nothing.
    func waitForPause(_ command: OutboxCommand, until: EpochMillis, reason: String, now: EpochMillis)
        -> CommandUpdate.Next
    {
        .reschedule(
            dueAt: worker.configuration.pausedDue(command, max(until, now)), needsReconcile: command.needsReconcile,
            lastError: "waiting: Paywall unavailable (\(reason))")
    }

    /// A Retry-After hold runs until `until` (epoch ms): back to the queue, due at its end.
    func waitForHold(_ command: OutboxCommand, until: EpochMillis) -> CommandUpdate.Next {
        .reschedule(
            dueAt: worker.configuration.pausedDue(command, until), needsReconcile: command.needsReconcile,
            lastError: "waiting: Paywall asked to retry after \(isoTime(until))")
    }

    /// The deadline passed (`at`, epoch ms) before the request could leave: it does not leave.
    /// Never sent now, so `expired`; `dead` / `outcome_unknown` when an earlier send may have landed.
    func notSentPastDeadline(_ command: OutboxCommand, at: EpochMillis) -> InboxOutcome {
        command.needsReconcile
            ? InboxOutcome(
                .dead, reason: .outcomeUnknown,
                message: "its deadline passed before it could be sent again; an earlier send may have "
                    + "reached Paywall: check at Paywall")
            : InboxOutcome(
                .expired, reason: .deadlinePassed,
                message: "not sent: its deadline passed (at \(isoTime(at))) before the request could leave")
    }

    /// The hold on `credentials` at `now`, from memory or, when that is older than 100 ms, from
    /// the database (another worker may have been told to wait a moment ago).
    func heldUntil(_ credentials: CredentialKind, now: EpochMillis) async -> EpochMillis? {
        try? await state.refreshShared(from: worker.store, now: now, ifOlderThan: 100)
        return state.heldUntil(credentials, now: now)
    }

    /// Paywall's Retry-After on any answer holds every request with the same credentials, in
    /// this worker at once and, through the database, in every other (issue 9, item 7).
    func noteRetryAfter(_ outcome: PaywallOutcome, credentials: CredentialKind) async {
        guard case .transient(let retryAfter?, let problem) = outcome else { return }
        let now = worker.clock.now()
        let until = now + retryAfter.wholeMilliseconds
        state.hold(credentials, until: until)
        try? await worker.store.setHold(
            credentials: credentials.rawValue, until: until, reason: "\(problem)", by: owner, now: now)
    }

    /// A harmless call with the private keys: a one-item payment list for today.
    func probeCredentials(logger: Logger) async -> PaywallOutcome {
        let today = paywallDate(worker.clock.now())
        return await worker.client.paymentList(
            pageIndex: 0, pageSize: 1, startDate: today, endDate: today, logger: logger)
    }

    // MARK: - Reconciling a sale whose earlier send may have arrived

    enum Lookup {
        case found(PaymentInfo, PaywallAnswer)
        case notFound(scannedFrom: EpochMillis)
        case failed(PaywallOutcome)
    }

    /// A sale whose earlier send may have reached Paywall: look it up, then do what
    /// ``SaleReconciliation`` decides.
    func reconcile(_ command: OutboxCommand, logger: Logger) async {
        let started = worker.clock.now()
        let history: SendHistory
        do {
            history = try await worker.store.sendHistory(commandID: command.id)
        } catch {
            logger.error("Could not read the send history; giving it back", metadata: ["outbox.error": "\(error)"])
            _ = try? await worker.store.release(ids: [command.id], owner: owner, dueAt: started + 1_000, now: started)
            return
        }
        guard await heldBack(command, credentials: .private, logger: logger) else { return }
        let since = min(command.createdAt, history.firstSendAt ?? command.createdAt)
        let found = await findPayment(merchantUniqueCode: command.commandKey, since: since, logger: logger)
        if case .failed(let outcome) = found { await noteRetryAfter(outcome, credentials: .private) }
        let now = worker.clock.now()
        let lookup: PaymentLookup
        var httpStatus: Int?
        switch found {
        case .found(let info, let answer):
            lookup = .found(info)
            httpStatus = answer.httpStatus
        case .notFound(let scannedFrom):
            lookup = .notFound(scannedFrom: scannedFrom)
        case .failed(let outcome):
            lookup = .failed(outcome)
            httpStatus = outcome.answer?.httpStatus
        }
        let step = SaleReconciliation(configuration: worker.configuration).decide(
            command: command, history: history, lookup: lookup, now: now, jitter: Double.random(in: 0..<1))
        func attempt(_ outcome: String, _ error: String?) -> AttemptRecord {
            AttemptRecord(
                startedAt: started, durationMillis: now - started, httpStatus: httpStatus, outcome: outcome, error: error,
                request: .lookup)
        }
        switch step {
        case .finish(let outcome, let paymentRequestId):
            switch lookup {
            case .notFound, .found: await state.record(.reachable, now: now)
            case .failed(let outcome): await state.record(outcome.answer != nil ? .reachable : nil, now: now)
            }
            logger.info(
                "Reconciled", metadata: ["outbox.outcome": "\(outcome.outcome.rawValue)", "outbox.reason": "\(outcome.reason?.rawValue ?? "")"])
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    attempt: attempt(paymentRequestId != nil ? "reconciled" : "lookup", outcome.message),
                    paywallPaymentRequestId: paymentRequestId, acceptedAt: paymentRequestId != nil ? now : nil,
                    next: .finish(outcome))],
                command: command, logger: logger)
        case .resend:
            // Proven absent: a first send again, same MerchantUniqueCode. A refusal of it is definite.
            await state.record(.reachable, now: now)
            logger.notice("Reconcile: Paywall does not have the sale (complete scan, after the grace); resending it")
            var fresh = command
            fresh.needsReconcile = false
            await send(fresh, paymentRequestId: nil, logger: logger)
        case .lookAgain(let at, let counts, let why):
            switch lookup {
            case .notFound, .found: await state.record(.reachable, now: now)
            case .failed(let outcome): await state.record(outcome.answer != nil ? .reachable : nil, now: now)
            }
            logger.notice("Reconcile: looking again later", metadata: ["outbox.reason": "\(why)"])
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner), attempt: attempt("lookup", why),
                    countsAsAttempt: counts, next: .reschedule(dueAt: at, needsReconcile: true, lastError: why))],
                command: command, logger: logger)
        case .pause(let reason):
            await state.record(.unavailable(reason: reason), now: now)
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner), attempt: attempt("unavailable", reason),
                    next: .reschedule(
                        dueAt: now + worker.configuration.breakerBackoff.baseMillis, needsReconcile: true,
                        lastError: "payment lookup: \(reason)"))],
                command: command, logger: logger)
        }
    }

    /// Scans every page of the payment list from a day before `since` through a day after now
    /// for `merchantUniqueCode`.
    func findPayment(merchantUniqueCode: String, since: EpochMillis, logger: Logger) async -> Lookup {
        let day: Int64 = 86_400_000
        let from = (since - day) / day * day  // midnight UTC: the list's dates are whole days
        let start = paywallDate(from)
        let end = paywallDate(max(since, worker.clock.now()) + day)
        let pageSize = 100
        var pageIndex = worker.configuration.reconcileFirstPageIndex
        for _ in 0..<max(worker.configuration.reconcileMaxPages, 1) {
            if let until = await heldUntil(.private, now: worker.clock.now()) {
                // Told to wait in the middle of a scan: stop here, look again after the hold.
                return .failed(.transient(retryAfter: .milliseconds(until - worker.clock.now()), PaywallProblem(code: .throttled)))
            }
            let outcome = await worker.client.paymentList(
                pageIndex: pageIndex, pageSize: pageSize, startDate: start, endDate: end, logger: logger)
            guard case .succeeded(let answer) = outcome, let page = answer.paymentListPage else {
                return .failed(outcome)
            }
            if let info = page.payment(merchantUniqueCode: merchantUniqueCode) { return .found(info, answer) }
            guard let next = PaymentListScan.next(after: page, requested: pageIndex, pageSize: pageSize) else {
                return .notFound(scannedFrom: from)
            }
            pageIndex = next
        }
        // Too many payments to scan: do not conclude "not there"; try again later.
        return .failed(.transient(retryAfter: nil, PaywallProblem(code: .retryLater)))
    }

    // MARK: - Rollbacks: only when the activity they revoke is not taken

    /// What Paywall says about the activity a rollback revokes: the inquiry, and the activities
    /// list when the inquiry's latest activity is another one.
    enum ActivityReading {
        case status(Int?, PaywallAnswer)
        case failed(PaywallOutcome, what: String)
    }

    func readActivityStatus(_ activity: PaymentType, paymentRequestId: String, logger: Logger) async
        -> ActivityReading
    {
        let inquiry = await worker.client.paymentInquiry(paymentRequestId: paymentRequestId, logger: logger)
        guard case .succeeded(let answer) = inquiry else { return .failed(inquiry, what: "payment inquiry") }
        switch RollbackDecision.status(of: activity, inquiry: answer.paymentInfo, activities: nil) {
        case .status(let statusId):
            return .status(statusId, answer)
        case .needActivities:
            let listed = await worker.client.paymentActivities(paymentRequestId: paymentRequestId, logger: logger)
            guard case .succeeded(let listAnswer) = listed else { return .failed(listed, what: "payment activities") }
            guard let page = listAnswer.activityPage,
                case .status(let statusId) = RollbackDecision.status(
                    of: activity, inquiry: answer.paymentInfo, activities: page)
            else { return .status(nil, listAnswer) }
            return .status(statusId, listAnswer)
        }
    }

    func inquireThenRollback(
        _ command: OutboxCommand, paymentRequestId: String, windowOpenedAt: EpochMillis, logger: Logger
    ) async {
        guard let kind = command.kind else { return }
        let activity = RollbackDecision.activity(of: kind)
        guard await heldBack(command, credentials: .private, logger: logger) else { return }
        let started = worker.clock.now()
        let reading = await readActivityStatus(activity, paymentRequestId: paymentRequestId, logger: logger)
        if case .failed(let outcome, _) = reading { await noteRetryAfter(outcome, credentials: .private) }
        switch reading {
        case .failed(.rejected(let answer), _) where answer.physicalError == .paymentRequestNotFound:
            // A definite "no such payment": nothing to roll back, and asking again cannot change
            // that (issue 9, item 11).
            let now = worker.clock.now()
            await state.record(.reachable, now: now)
            var outcome = inboxOutcome(
                .failed, reason: .paymentNotFound, answer,
                message: "Paywall has no payment \(paymentRequestId): nothing to roll back")
            outcome.paymentRequestId = paymentRequestId
            await record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    attempt: AttemptRecord(
                        startedAt: started, durationMillis: now - started, httpStatus: answer.httpStatus,
                        outcome: "rejected", errorCode: answer.errorCode, error: answer.summary, request: .inquiry),
                    next: .finish(outcome))],
                command: command, logger: logger)
        case .failed(let outcome, let what):
            await lookupFailed(command, outcome: outcome, started: started, what: what, logger: logger)
        case .status(let statusId, let answer):
            let now = worker.clock.now()
            await state.record(.reachable, now: now)
            let attempt = AttemptRecord(
                startedAt: started, durationMillis: now - started, httpStatus: answer.httpStatus, outcome: "inquiry",
                error: statusId.map { "\(activity.name.lowercased()) status \(PaymentStatus.describe($0))" },
                request: .inquiry)
            let decision = RollbackDecision.beforeSending(statusId: statusId, activity: activity)
            if decision == .send {
                await sendRollback(
                    command, paymentRequestId: paymentRequestId, activity: activity, windowOpenedAt: windowOpenedAt,
                    logger: logger)
            } else {
                await execute(
                    decision, command: command, paymentRequestId: paymentRequestId, attempt: attempt,
                    counts: false, refusal: nil, logger: logger)
            }
        }
    }

    /// Sends a rollback; a `NotConvenientStatusForThisOperation` refusal is decided with a fresh
    /// reading of the activity (``RollbackDecision/afterRefusal``), everything else as usual.
    func sendRollback(
        _ command: OutboxCommand, paymentRequestId: String, activity: PaymentType, windowOpenedAt: EpochMillis,
        logger: Logger
    ) async {
        guard let kind = command.kind else { return }
        guard let request = await prepared(command, kind: kind, paymentRequestId: paymentRequestId, logger: logger) else {
            return
        }
        guard await beforeSending(command, kind: kind, logger: logger),
            let (started, outcome) = await sendLeaving(command, request: request, logger: logger)
        else { return }
        await noteRetryAfter(outcome, credentials: .private)
        guard case .rejected(let refusal) = outcome, refusal.physicalError == .notConvenientStatusForThisOperation else {
            let now = worker.clock.now()
            let interpretation = interpreter.interpret(
                outcome, command: command, owner: owner, startedAt: started, now: now, jitter: Double.random(in: 0..<1))
            await state.record(interpretation.breaker, now: now)
            await record([interpretation.update], command: command, logger: logger, paymentRequestId: paymentRequestId)
            return
        }
        let refusedAt = worker.clock.now()
        await state.record(.reachable, now: refusedAt)
        let reading = await readActivityStatus(activity, paymentRequestId: paymentRequestId, logger: logger)
        let statusId: Int?
        if case .status(let id, _) = reading { statusId = id } else { statusId = nil }
        let decision = RollbackDecision.afterRefusal(
            statusId: statusId, activity: activity, paywallWords: refusal.summary, refusedAt: refusedAt,
            windowOpenedAt: windowOpenedAt, attemptsBefore: command.attempts)
        let now = worker.clock.now()
        let attempt = AttemptRecord(
            startedAt: started, durationMillis: now - started, httpStatus: refusal.httpStatus, outcome: "rejected",
            errorCode: refusal.errorCode, error: refusal.summary)
        await execute(
            decision, command: command, paymentRequestId: paymentRequestId, attempt: attempt, counts: true,
            refusal: refusal, logger: logger)
    }

    /// Records a rollback decision (never `.send`: the caller sends).
    func execute(
        _ decision: RollbackDecision, command: OutboxCommand, paymentRequestId: String, attempt: AttemptRecord,
        counts: Bool, refusal: PaywallAnswer?, logger: Logger
    ) async {
        let now = worker.clock.now()
        func finish(_ outcome: InboxOutcome) -> CommandUpdate {
            CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner), attempt: attempt, countsAsAttempt: counts,
                next: .finish(outcome))
        }
        func reschedule(_ dueAt: EpochMillis, _ why: String) -> CommandUpdate {
            CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner), attempt: attempt, countsAsAttempt: counts,
                next: .reschedule(dueAt: dueAt, needsReconcile: command.needsReconcile, lastError: why))
        }
        let update: CommandUpdate
        switch decision {
        case .send:
            return
        case .alreadyRolledBack(let statusId):
            update = finish(
                InboxOutcome(
                    .succeeded, reason: .alreadyRolledBack,
                    message: "status \(PaymentStatus.describe(statusId)): already rolled back",
                    paymentRequestId: paymentRequestId, paymentStatusId: statusId))
        case .notRevocable(let why, let statusId):
            var outcome =
                refusal.map { inboxOutcome(.failed, reason: .notRevocable, $0, message: why) }
                ?? InboxOutcome(.failed, reason: .notRevocable, message: why)
            outcome.paymentRequestId = paymentRequestId
            outcome.paymentStatusId = statusId
            update = finish(outcome)
        case .askAgain(let why):
            // Asking again spends an attempt, so it is bounded like any read (ReadFailureRule):
            // when the budget ends, dead, never a blind send.
            let bounded = ReadFailureRule(configuration: worker.configuration).decide(
                command: command, outcome: .transient(retryAfter: nil, PaywallProblem(code: .retryLater)),
                what: "rollback status (\(why))", now: now, jitter: Double.random(in: 0..<1))
            update = CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner), attempt: attempt, countsAsAttempt: true,
                next: bounded.next)
        case .retry(let at, let why):
            update = reschedule(at, "waiting: \(why)")
        }
        await record([update], command: command, logger: logger)
    }

    /// A read (inquiry, activities) that did not succeed: see ``ReadFailureRule``.
    func lookupFailed(_ command: OutboxCommand, outcome: PaywallOutcome, started: EpochMillis, what: String, logger: Logger) async {
        let now = worker.clock.now()
        let decision = ReadFailureRule(configuration: worker.configuration).decide(
            command: command, outcome: outcome, what: what, now: now, jitter: Double.random(in: 0..<1))
        await state.record(decision.breaker, now: now)
        logger.notice("\(what) did not answer usefully", metadata: ["outbox.outcome": "\(outcome)"])
        await record(
            [CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner),
                attempt: AttemptRecord(
                    startedAt: started, durationMillis: now - started, httpStatus: outcome.answer?.httpStatus,
                    outcome: outcome.recordName, error: "\(what): \(outcome)", request: .inquiry),
                countsAsAttempt: decision.counts, next: decision.next)],
            command: command, logger: logger)
    }

    // MARK: - Local revocation

    func revoke(_ command: OutboxCommand, others: [Int64], logger: Logger) async {
        let now = worker.clock.now()
        let outcome = InboxOutcome(
            .revoked, reason: .revokedLocally, message: "withdrawn before it was sent: never sent to Paywall")
        var group = [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: .finish(outcome))]
        // The others must still be certainly unsent when the group commits (another worker may
        // have claimed and sent one since it was planned): else nothing is recorded.
        group += others.map { CommandUpdate(commandID: $0, precondition: .neverSent, next: .finish(outcome)) }
        do {
            if try await worker.store.record(group, worker: owner, now: now) {
                logger.info("Revoked locally", metadata: ["outbox.revoked.ids": "\([command.id] + others)"])
                report(command, outcome)
                for id in others {
                    if let other = try? await worker.store.command(id: id) { report(other, outcome) }
                }
                return
            }
            // Another worker claimed one of them meanwhile: look again shortly.
            _ = try await worker.store.record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    next: .reschedule(
                        dueAt: now + CommandPlanner.shortWaitMillis, needsReconcile: command.needsReconcile,
                        lastError: "waiting: related command claimed elsewhere"))],
                worker: owner, now: now)
        } catch {
            logger.error("Could not record the revocation", metadata: ["outbox.error": "\(error)"])
        }
    }

    // MARK: - Recording

    /// Records `group`; a finish of `command` that accepted a sale or cancel also starts
    /// following its activity (``FollowRule/start(kind:outcome:paymentRequestId:now:policy:)``),
    /// in the same transaction. `paymentRequestId`: the payment a follow-up acted on.
    func record(_ group: [CommandUpdate], command: OutboxCommand, logger: Logger, paymentRequestId: String? = nil) async {
        let now = worker.clock.now()
        let group = withFollows(group, command: command, now: now, paymentRequestId: paymentRequestId)
        let applied: Bool
        do {
            applied = try await worker.store.record(group, worker: owner, now: now)
        } catch {
            notRecorded(error, logger: logger)
            return
        }
        await recorded(group, applied: applied, command: command, now: now, logger: logger, paymentRequestId: paymentRequestId)
    }

    /// `group` with the payment follow its command's finish starts (``FollowRule/start``), so the
    /// follow is written in the outcome's own transaction.
    func withFollows(_ group: [CommandUpdate], command: OutboxCommand, now: EpochMillis, paymentRequestId: String?)
        -> [CommandUpdate]
    {
        group.map { update -> CommandUpdate in
            guard update.commandID == command.id, update.follow == nil, case .finish(let outcome) = update.next else {
                return update
            }
            var update = update
            update.follow = FollowRule.start(
                kind: command.kind, outcome: outcome,
                paymentRequestId: update.paywallPaymentRequestId ?? command.paywallPaymentRequestId ?? paymentRequestId
                    ?? command.paymentRequestId,
                now: now, policy: worker.configuration.follow)
            return update
        }
    }

    func notRecorded(_ error: any Error, logger: Logger) {
        logger.error(
            "Could not record the outcome; the lease will expire and the command be reconciled",
            metadata: ["outbox.error": "\(error)"])
    }

    /// What follows a record: the log line, the report, a rollback's read brought forward.
    func recorded(
        _ group: [CommandUpdate], applied: Bool, command: OutboxCommand, now: EpochMillis, logger: Logger,
        paymentRequestId: String?
    ) async {
        guard applied else {
            logger.notice("Not recorded: the command changed meanwhile (lease lost, or revoked with its sale)")
            return
        }
        guard let update = group.first else { return }
        switch update.next {
        case .finish(let outcome):
            // The line's own metadata: nothing copied for a line the level leaves out.
            logger.info(
                "Command finished",
                metadata: {
                    var metadata: Logger.Metadata = ["outbox.outcome": "\(outcome.outcome.rawValue)"]
                    if let reason = outcome.reason { metadata["outbox.reason"] = "\(reason)" }
                    if let id = outcome.paymentRequestId ?? update.paywallPaymentRequestId {
                        metadata["outbox.payment_request_id"] = "\(id)"
                    }
                    return metadata
                }())
            report(command, outcome, paymentRequestId: update.paywallPaymentRequestId)
            if outcome.outcome == .succeeded, let kind = command.kind,
                kind == .syncSaleRollback || kind == .syncCancelRollback,
                let payment = outcome.paymentRequestId ?? paymentRequestId ?? command.paymentRequestId
            {
                // The revoked activity is about to show 12: read it soon rather than at its backoff.
                let activity: FollowedActivity = RollbackDecision.activity(of: kind) == .cancel ? .cancel : .sale
                try? await worker.store.pollSoon(
                    paymentRequestId: payment, activity: activity, at: now + worker.configuration.follow.firstIntervalMillis)
            }
        case .reschedule(let dueAt, let needsReconcile, let lastError):
            logger.debug(
                "Command rescheduled",
                metadata: [
                    "outbox.due_at": "\(isoTime(dueAt))", "outbox.needs_reconcile": "\(needsReconcile)",
                    "outbox.last_error": "\(lastError ?? "")",
                ])
        }
    }

    func report(_ command: OutboxCommand, _ outcome: InboxOutcome, paymentRequestId: String? = nil) {
        worker.metrics?.finished(kind: command.kindName, outcome)
        worker.onFinish?(
            WorkerReport(
                commandID: command.id, commandKey: command.commandKey, kind: command.kindName, outcome: outcome.outcome,
                reason: outcome.reason, paymentRequestId: outcome.paymentRequestId ?? paymentRequestId,
                message: outcome.message, paymentStatusId: outcome.paymentStatusId))
    }
}

/// `yyyy-MM-dd` in UTC, the date format of Paywall's payment list: the date part of
/// ``ISOTime``, the one place epoch milliseconds become a calendar date.
func paywallDate(_ millis: EpochMillis) -> String {
    String(ISOTime.text(epochMillis: millis).prefix(10))
}
