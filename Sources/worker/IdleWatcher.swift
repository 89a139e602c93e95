import Logging
import OutboxModel
import OutboxStore
import ServiceLifecycle

/// Feeds the demo's follow-ups once their sale has been accepted, and with `--exit-when-idle`
/// returns once every step is queued and no command is pending or in flight (its group is
/// configured to shut down gracefully when it returns). Started after the first demo commands
/// are queued, so "idle" means "everything queued has finished".
struct IdleWatcher: Service {
    let store: OutboxStore
    let logger: Logger
    /// Steps not queued yet, with the outbox ids of the steps queued before the group started.
    var waiting: [(index: Int, step: DemoStep)] = []
    var queuedIDs: [Int: Int64] = [:]
    let exitWhenIdle: Bool
    /// The demo: "idle" also means no payment is still followed to its final status (plain
    /// `--exit-when-idle` does not wait for them: a payment may stay open for hours, and the
    /// next run goes on following it).
    var waitForPayments = false
    var interval: Duration = .milliseconds(200)

    func run() async throws {
        // Stop polling at once when the group shuts down for another reason.
        try await cancelWhenGracefulShutdown { try await self.poll() }
    }

    private func poll() async throws {
        var waiting = waiting
        var queuedIDs = queuedIDs
        do {
            while true {
                try await Task.sleep(for: interval)
                var still: [(index: Int, step: DemoStep)] = []
                for entry in waiting {
                    guard let dependency = entry.step.after.flatMap({ queuedIDs[$0] }),
                        let sale = try store.command(id: dependency)
                    else {
                        still.append(entry)
                        continue
                    }
                    let ready = sale.paywallPaymentRequestId != nil || ![.pending, .inFlight].contains(sale.state)
                    if ready {
                        let result = try store.enqueue(entry.step.command)
                        queuedIDs[entry.index] = result.id
                        logger.debug(
                            "Demo follow-up queued",
                            metadata: [
                                "outbox.command.id": "\(result.id)",
                                "outbox.command.kind": .string(entry.step.command.kindName),
                            ])
                    } else {
                        still.append(entry)
                    }
                }
                waiting = still
                guard waiting.isEmpty else { continue }
                guard exitWhenIdle else {
                    try await gracefulShutdown()
                    return
                }
                let unfinished = try store.list(CommandFilter(states: [.pending, .inFlight], limit: 1))
                let followed = waitForPayments ? try store.followSummary().following : 0
                if unfinished.isEmpty, followed == 0 {
                    logger.notice("Outbox idle: every command has finished; shutting down (--exit-when-idle)")
                    return
                }
            }
        }
    }
}
