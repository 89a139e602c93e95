import Foundation
import Logging
import OutboxModel
import OutboxStore
import PaywallClient

/// Carries one claimed command through plan → (lookup | inquiry | send) → record.
struct CommandProcessor: Sendable {
    let worker: OutboxWorker
    let state: DispatchState

    var owner: String { worker.configuration.workerID }
    var planner: CommandPlanner { CommandPlanner(configuration: worker.configuration) }
    var interpreter: OutcomeInterpreter { OutcomeInterpreter(configuration: worker.configuration) }

    func process(_ command: OutboxCommand) async {
        var logger = worker.logger
        logger[metadataKey: "outbox.command.id"] = "\(command.id)"
        logger[metadataKey: "outbox.command.kind"] = "\(command.kindName)"
        logger[metadataKey: "outbox.command.key"] = "\(command.commandKey)"
        logger[metadataKey: "outbox.attempt"] = "\(command.attempts + 1)"
        let now = worker.clock.now()
        let decision: PlanDecision
        do {
            let context = try worker.store.planningContext(for: command)
            decision = planner.plan(
                PlanInput(
                    command: command, sale: context.sale, related: context.related, now: now, breaker: state.breakerView,
                    owner: owner))
        } catch {
            logger.error("Could not read the command's context; giving it back", metadata: ["outbox.error": "\(error)"])
            _ = try? worker.store.release(ids: [command.id], owner: owner, dueAt: now + 1_000, now: now)
            state.record(nil, now: now)
            return
        }
        switch decision {
        case .wait(let until, let reason):
            logger.debug("Waiting", metadata: ["outbox.until": "\(isoTime(until))", "outbox.reason": "\(reason)"])
            record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    next: .reschedule(dueAt: until, needsReconcile: command.needsReconcile, lastError: reason))],
                command: command, logger: logger)
            state.record(nil, now: now)
        case .finish(let outcome):
            record(
                [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: .finish(outcome))],
                command: command, logger: logger)
            state.record(nil, now: now)
        case .revokeLocally(let others):
            revoke(command, others: others, logger: logger)
            state.record(nil, now: now)
        case .send(let paymentRequestId):
            await send(command, paymentRequestId: paymentRequestId, logger: logger)
        case .reconcileSale:
            await reconcile(command, logger: logger)
        case .inquireBeforeRollback(let paymentRequestId):
            await inquireThenRollback(command, paymentRequestId: paymentRequestId, logger: logger)
        }
    }

    // MARK: - Sending

    func send(_ command: OutboxCommand, paymentRequestId: String?, logger: Logger) async {
        guard let kind = command.kind else { return }
        let started = worker.clock.now()
        let outcome = await worker.client.send(kind: kind, payload: command.payload, paymentRequestId: paymentRequestId)
        let now = worker.clock.now()
        let interpretation = interpreter.interpret(
            outcome, command: command, owner: owner, startedAt: started, now: now, jitter: Double.random(in: 0..<1))
        state.record(interpretation.breaker, now: now)
        record([interpretation.update], command: command, logger: logger)
    }

    // MARK: - Reconciling a sale whose earlier send may have arrived

    enum Lookup {
        case found(PaymentInfo, PaywallAnswer)
        case notFound
        case failed(PaywallOutcome)
    }

    func reconcile(_ command: OutboxCommand, logger: Logger) async {
        let started = worker.clock.now()
        switch await findPayment(merchantUniqueCode: command.commandKey, createdAt: command.createdAt) {
        case .found(let info, let answer):
            let now = worker.clock.now()
            logger.info("Reconciled: Paywall has the sale", metadata: ["outbox.payment_request_id": "\(info.paymentRequestId)"])
            state.record(.reachable, now: now)
            var outcome = InboxOutcome(
                .succeeded, reason: "reconciled", paymentRequestId: info.paymentRequestId,
                paymentRequestActivityId: info.paymentRequestActivityId, paymentStatusId: info.statusId,
                result: info.raw.serialized(), rawResponse: nil, httpStatus: answer.httpStatus)
            outcome.message = "found by MerchantUniqueCode in the payment list"
            record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner),
                    attempt: AttemptRecord(
                        startedAt: started, durationMillis: now - started, httpStatus: answer.httpStatus, outcome: "reconciled"),
                    paywallPaymentRequestId: info.paymentRequestId, acceptedAt: now, next: .finish(outcome))],
                command: command, logger: logger)
        case .notFound:
            // Paywall has no payment with this MerchantUniqueCode: send it again, same code.
            logger.notice("Reconcile: Paywall does not have the sale; resending with the same MerchantUniqueCode")
            await send(command, paymentRequestId: nil, logger: logger)
        case .failed(let outcome):
            lookupFailed(command, outcome: outcome, started: started, what: "payment lookup", logger: logger)
        }
    }

    /// Scans the payment list around the sale's creation date for its MerchantUniqueCode.
    func findPayment(merchantUniqueCode: String, createdAt: EpochMillis) async -> Lookup {
        let day: Int64 = 86_400_000
        let start = paywallDate(createdAt - day)
        let end = paywallDate(max(createdAt, worker.clock.now()) + day)
        let pageSize = 100
        let first = worker.configuration.reconcileFirstPageIndex
        for scanned in 0..<max(worker.configuration.reconcileMaxPages, 1) {
            let outcome = await worker.client.paymentList(
                pageIndex: first + scanned, pageSize: pageSize, startDate: start, endDate: end)
            guard case .succeeded(let answer) = outcome, let page = answer.paymentListPage else {
                return .failed(outcome)
            }
            if let info = page.payment(merchantUniqueCode: merchantUniqueCode) { return .found(info, answer) }
            let lastPage = page.items.count < pageSize || page.pageCount.map { scanned + 1 >= $0 } == true
            if lastPage { return .notFound }
        }
        // Too many payments to scan: do not conclude "not there"; try again later.
        return .failed(
            .transient(retryAfter: nil, PaywallProblem(code: .retryLater)))
    }

    // MARK: - Sale rollback: only when nothing says the device has the sale

    func inquireThenRollback(_ command: OutboxCommand, paymentRequestId: String, logger: Logger) async {
        let started = worker.clock.now()
        let outcome = await worker.client.paymentInquiry(paymentRequestId: paymentRequestId)
        guard case .succeeded(let answer) = outcome else {
            lookupFailed(command, outcome: outcome, started: started, what: "payment inquiry", logger: logger)
            return
        }
        let now = worker.clock.now()
        state.record(.reachable, now: now)
        let statusId = answer.paymentInfo?.statusId
        let attempt = AttemptRecord(
            startedAt: started, durationMillis: now - started, httpStatus: answer.httpStatus, outcome: "inquiry",
            error: statusId.map { "payment status \($0)" })
        switch RollbackDecision.decide(statusId: statusId, policy: worker.configuration.paywall.statusPolicy) {
        case .send:
            await send(command, paymentRequestId: paymentRequestId, logger: logger)
        case .alreadyRolledBack:
            record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner), attempt: attempt,
                    next: .finish(
                        InboxOutcome(
                            .succeeded, reason: "already_rolled_back", paymentRequestId: paymentRequestId,
                            paymentStatusId: statusId)))],
                command: command, logger: logger)
        case .notRevocable(let why):
            record(
                [CommandUpdate(
                    commandID: command.id, precondition: .leasedBy(owner), attempt: attempt,
                    next: .finish(
                        InboxOutcome(
                            .failed, reason: "not_revocable", message: why, paymentRequestId: paymentRequestId,
                            paymentStatusId: statusId)))],
                command: command, logger: logger)
        }
    }

    /// A read (lookup, inquiry) that did not succeed: pause on connectivity, otherwise look
    /// again later. Reads never spend the command's attempts.
    func lookupFailed(_ command: OutboxCommand, outcome: PaywallOutcome, started: EpochMillis, what: String, logger: Logger) {
        let now = worker.clock.now()
        let signal: BreakerSignal? =
            switch outcome {
            case .unavailable(let problem): .unavailable(reason: "\(problem)")
            case .transient(_, let problem) where problem.code == .transport: .unavailable(reason: "\(problem)")
            case .succeeded, .alreadyDone, .rejected: .reachable
            default: nil
            }
        state.record(signal, now: now)
        let wait = max(
            worker.configuration.reconcileDelayMillis,
            worker.configuration.backoff.delay(attempt: command.attempts + 1, unit: Double.random(in: 0..<1)))
        logger.notice("\(what) did not answer usefully; will look again", metadata: ["outbox.outcome": "\(outcome)"])
        record(
            [CommandUpdate(
                commandID: command.id, precondition: .leasedBy(owner),
                attempt: AttemptRecord(
                    startedAt: started, durationMillis: now - started, httpStatus: outcome.answer?.httpStatus,
                    outcome: outcome.recordName, error: "\(what): \(outcome)"),
                next: .reschedule(dueAt: now + wait, needsReconcile: command.needsReconcile, lastError: "\(what): \(outcome)"))],
            command: command, logger: logger)
    }

    // MARK: - Local revocation

    func revoke(_ command: OutboxCommand, others: [Int64], logger: Logger) {
        let now = worker.clock.now()
        let outcome = InboxOutcome(
            .revoked, reason: "revoked_locally", message: "withdrawn before it was sent: never sent to Paywall")
        var group = [CommandUpdate(commandID: command.id, precondition: .leasedBy(owner), next: .finish(outcome))]
        group += others.map { CommandUpdate(commandID: $0, precondition: .pendingOrLeasedBy(owner), next: .finish(outcome)) }
        do {
            if try worker.store.record(group, worker: owner, now: now) {
                logger.info("Revoked locally", metadata: ["outbox.revoked.ids": "\([command.id] + others)"])
                report(command, outcome)
                for id in others {
                    if let other = try? worker.store.command(id: id) { report(other, outcome) }
                }
                return
            }
            // Another worker claimed one of them meanwhile: look again shortly.
            _ = try worker.store.record(
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

    func record(_ group: [CommandUpdate], command: OutboxCommand, logger: Logger) {
        let now = worker.clock.now()
        do {
            guard try worker.store.record(group, worker: owner, now: now) else {
                logger.notice("Not recorded: the command changed meanwhile (lease lost, or revoked with its sale)")
                return
            }
        } catch {
            logger.error("Could not record the outcome; the lease will expire and the command be reconciled",
                         metadata: ["outbox.error": "\(error)"])
            return
        }
        guard let update = group.first else { return }
        switch update.next {
        case .finish(let outcome):
            var logger = logger
            logger[metadataKey: "outbox.outcome"] = "\(outcome.outcome.rawValue)"
            if let reason = outcome.reason { logger[metadataKey: "outbox.reason"] = "\(reason)" }
            if let id = outcome.paymentRequestId ?? update.paywallPaymentRequestId {
                logger[metadataKey: "outbox.payment_request_id"] = "\(id)"
            }
            logger.info("Command finished")
            report(command, outcome, paymentRequestId: update.paywallPaymentRequestId)
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
        worker.onFinish?(
            WorkerReport(
                commandID: command.id, commandKey: command.commandKey, kind: command.kindName, outcome: outcome.outcome,
                reason: outcome.reason, paymentRequestId: outcome.paymentRequestId ?? paymentRequestId,
                message: outcome.message))
    }
}

/// `yyyy-MM-dd` in UTC, the date format of Paywall's payment list.
func paywallDate(_ millis: EpochMillis) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(millis) / 1000))
    return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
}
