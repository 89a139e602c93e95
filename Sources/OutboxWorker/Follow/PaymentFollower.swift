import Logging
import OutboxModel
import OutboxStore
import PaywallClient

/// Reads one followed activity's status from Paywall (the payment's activities list) and
/// records what ``FollowRule`` decides. Reads share the sends' Retry-After holds (a hold defers
/// the read and spends nothing) and never run while dispatch is paused (the dispatcher starts
/// them only when the breaker lets everything through).
struct PaymentFollower: Sendable {
    let worker: OutboxWorker
    let processor: CommandProcessor

    var policy: PaymentFollowPolicy { worker.configuration.follow }
    static let credentials = PaywallCatalog().endpoint(for: PaywallOperation.paymentActivities).credentials
    /// Rows per activities page: far more than the statuses one payment goes through.
    static let pageSize = 100

    func poll(_ follow: PaymentFollow) async {
        let logger = worker.logger.adding([
            "outbox.command.id": "\(follow.outboxId)", "outbox.command.kind": "\(follow.kindName)",
            "outbox.command.key": "\(follow.commandKey)", "outbox.payment_request_id": "\(follow.paymentRequestId)",
            "outbox.activity": "\(follow.activity.rawValue)",
        ])
        let now = worker.clock.now()
        if let until = await processor.heldUntil(Self.credentials, now: now) {
            await record(
                FollowRule.deferred(follow, until: until, why: "waiting: Paywall asked to retry after \(isoTime(until))"),
                follow: follow, logger: logger)
            return
        }
        let outcome = await worker.client.paymentActivities(
            paymentRequestId: follow.paymentRequestId, pageIndex: 0, pageSize: Self.pageSize, logger: logger)
        await processor.noteRetryAfter(outcome, credentials: Self.credentials)
        let after = worker.clock.now()
        let update: FollowUpdate
        if case .succeeded(let answer) = outcome, let page = answer.activityPage {
            update = FollowRule.afterRead(follow, page: page, now: after, policy: policy)
        } else {
            logger.debug("Payment status read did not answer usefully", metadata: ["outbox.outcome": "\(outcome)"])
            update = FollowRule.afterFailure(
                follow, outcome: outcome, notBefore: processor.state.heldUntil(Self.credentials, now: after), now: after,
                policy: policy)
        }
        var claimed = update
        claimed.claimedNextPollAt = follow.nextPollAt
        await record(claimed, follow: follow, logger: logger)
    }

    func record(_ update: FollowUpdate, follow: PaymentFollow, logger: Logger) async {
        let written: [PaymentStatusEvent]
        do {
            written = try await worker.store.recordFollow(update, now: worker.clock.now())
        } catch {
            logger.error("Could not record the payment status read", metadata: ["outbox.error": "\(error)"])
            return
        }
        for event in written { Self.announce(event, follow: follow, worker: worker, logger: logger) }
    }

    /// Logs a status told to the merchant and reports it to the caller (the demo).
    static func announce(_ event: PaymentStatusEvent, follow: PaymentFollow, worker: OutboxWorker, logger: Logger) {
        logger.info(
            event.statusId == nil ? "Payment unresolved at the follow horizon" : "Payment status",
            metadata: [
                "outbox.payment_status": "\(event.statusId.map(PaymentStatus.describe) ?? "none")",
                "outbox.status_source": "\(event.source.rawValue)", "outbox.final": "\(event.isFinal)",
            ])
        worker.onPaymentStatus?(
            PaymentStatusReport(
                commandID: follow.outboxId, commandKey: follow.commandKey, kind: follow.kindName,
                paymentRequestId: follow.paymentRequestId, activity: follow.activity, event: event))
    }
}
