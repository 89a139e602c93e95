import Logging
import OutboxStore
import ServiceLifecycle

/// `--exit-when-idle`: polls the outbox and returns once no command is pending or in flight
/// (its group is configured to shut down gracefully when it returns). Started after the demo
/// commands are queued, so "idle" means "everything queued has finished".
struct IdleWatcher: Service {
    let store: OutboxStore
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        // Stop polling at once when the group shuts down for another reason.
        try await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                let unfinished = try store.list(CommandFilter(states: [.pending, .inFlight], limit: 1))
                if unfinished.isEmpty {
                    logger.notice("Outbox idle: every command has finished; shutting down (--exit-when-idle)")
                    return
                }
            }
        }
    }
}
