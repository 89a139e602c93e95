import Logging

/// A ``CallbackSink`` that records nothing: it logs each verified callback (ids and status, never
/// the body) at info and answers ``CallbackDisposition/recorded``. The `worker` executable uses it
/// until the store records callbacks; keeps no state, so a long run cannot grow it.
public struct LogOnlyCallbackSink: CallbackSink {
    let logger: Logger

    /// Creates a sink logging to `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Logs the callback and returns ``CallbackDisposition/recorded``.
    public func accept(_ callback: VerifiedCallback) async throws -> CallbackDisposition {
        logger.info(
            "Callback not recorded: no store sink in this version",
            metadata: [
                "outbox.payment_request_id": .string(callback.paymentRequestId),
                "outbox.callback.activity_id": .string(callback.paymentRequestActivityId ?? ""),
                "outbox.callback.status_id": "\(callback.paymentStatusId)",
            ])
        return .recorded
    }
}
