import Logging
import OutboxModel
import OutboxStore
import PaywallClient

/// The ``CallbackSink`` the worker uses: a verified callback becomes a `payment_status` hint on
/// the followed activity it names (``WorkerStore/recordCallbackStatus(paymentRequestId:activity:activityId:event:pollBy:now:)``).
///
/// Paywall's `Hash` does not cover `PaymentStatusId` (API-NOTES S6: key, PaymentRequestId,
/// MerchantUniqueCode, Amount), so a captured callback replayed with another status still
/// verifies. Our choice: a status that is not final is written as reported (source
/// `callback`); a final status (paid, declined, rolled back) is told to the merchant only once
/// the activities read it brings forward at once confirms it. Idempotent: duplicates, late and
/// reordered deliveries write nothing twice and nothing behind or after a final status.
public struct StoreCallbackSink: CallbackSink {
    let store: any WorkerStore
    let clock: any WallClock
    let logger: Logger

    /// Creates a sink writing to `store`.
    public init(store: any WorkerStore, clock: any WallClock = SystemWallClock(), logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    public func accept(_ callback: VerifiedCallback) async throws -> CallbackDisposition {
        var logger = logger
        logger[metadataKey: "outbox.payment_request_id"] = "\(callback.paymentRequestId)"
        logger[metadataKey: "outbox.payment_status"] = "\(PaymentStatus.describe(callback.paymentStatusId))"
        guard let activity = FollowedActivity(paymentTypeId: callback.paymentTypeId) else {
            logger.notice(
                "Callback for an activity type the worker does not follow",
                metadata: ["outbox.callback.payment_type_id": "\(callback.paymentTypeId)"])
            return .unknownPayment
        }
        let now = clock.now()
        let event = FollowRule.event(
            statusId: callback.paymentStatusId, source: .callback, activityId: callback.paymentRequestActivityId,
            message: callback.message)
        let recording = try await store.recordCallbackStatus(
            paymentRequestId: callback.paymentRequestId, activity: activity,
            activityId: callback.paymentRequestActivityId, event: event, pollBy: now, now: now)
        switch recording {
        case .recorded:
            logger.info("Payment status from a callback", metadata: ["outbox.status_source": "callback"])
            return .recorded
        case .confirming:
            logger.info("Final status from a callback: confirming it with Paywall before telling the merchant")
            return .recorded
        case .duplicate:
            return .duplicate
        case .unknownPayment:
            logger.notice("Callback for a payment this outbox does not follow")
            return .unknownPayment
        }
    }
}
