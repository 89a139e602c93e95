import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Owns the HTTP listener and the simulator's background tasks. Going offline closes the
/// listening socket (clients get "connection refused"); coming back binds the same port again.
actor ListenerController {
    private struct Running {
        let group: ServiceGroup
        let task: Task<Void, any Error>
    }

    let host: String
    private var port: Int
    let logger: Logger
    private var responder: RouterResponder<SimulatorRequestContext>?
    private var running: Running?
    private var offlineTimer: Task<Void, Never>?
    private var background: [Task<Void, Never>] = []
    private(set) var started = false
    private var ready = false
    private var startWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var shutDown = false
    private(set) var offline = false

    init(host: String, port: Int, logger: Logger) {
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The bound port (the requested one until the first bind).
    var boundPort: Int { port }

    /// First start: keeps the responder and the background tasks, binds unless `offline`.
    /// Returns `false` when an earlier call started it (after waiting for that start to finish).
    func start(
        responder: RouterResponder<SimulatorRequestContext>, offline: Bool, background: [@Sendable () async -> Void]
    ) async throws(SimulatorError) -> Bool {
        if started {
            // A concurrent first start is binding: return once it is done.
            if !ready { await withCheckedContinuation { startWaiters.append($0) } }
            return false
        }
        guard !shutDown else { throw SimulatorError(code: .notRunning, message: "the simulator was shut down") }
        self.responder = responder
        self.offline = offline
        // Marked before the first suspension so a concurrent start() cannot bind a second server.
        started = true
        // Bind first even when starting offline, so an ephemeral port is known and kept.
        do {
            try await bind()
        } catch {
            started = false
            releaseStartWaiters()
            throw error
        }
        ready = true
        releaseStartWaiters()
        self.background = background.map { work in Task.detached { await work() } }
        if offline { await unbind() }
        return true
    }

    private func releaseStartWaiters() {
        let waiters = startWaiters
        startWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func bind() async throws(SimulatorError) {
        guard running == nil, let responder else { return }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "paywall-sim"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger))
        // Detached: the server must not inherit task-locals (notably swift-service-lifecycle's
        // graceful-shutdown context) from whoever asked for the bind, e.g. an admin request
        // handler of the previous listener.
        let task = Task.detached {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            let reason: String
            switch await task.result {
            case .failure(let error): reason = "\(error)"
            case .success: reason = "the server stopped before it was running"
            }
            throw SimulatorError(code: .bindFailed, message: "could not listen on \(host):\(port): \(reason)")
        }
        port = bound
        running = Running(group: group, task: task)
        logger.info(
            "simulator listening",
            metadata: ["sim.listener.host": .string(host), "sim.listener.port": .stringConvertible(bound)])
    }

    private func unbind() async {
        guard let current = running else { return }
        running = nil
        await current.group.triggerGracefulShutdown()
        _ = await current.task.result
        logger.info("simulator listener closed", metadata: ["sim.listener.port": .stringConvertible(port)])
    }

    /// Goes offline (closes the port) or back online (binds it again). Cancels a pending timed
    /// return.
    func setOffline(_ newValue: Bool) async throws(SimulatorError) {
        guard started, !shutDown else {
            throw SimulatorError(code: .notRunning, message: "the simulator is not running")
        }
        offlineTimer?.cancel()
        offlineTimer = nil
        offline = newValue
        if newValue { await unbind() } else { try await bind() }
    }

    /// Goes offline for `millis` in the background and comes back by itself (used by the HTTP
    /// admin endpoint, which cannot wait for its own listener to close).
    func scheduleOffline(forMillis millis: Int64) {
        guard started, !shutDown else { return }
        offlineTimer?.cancel()
        offline = true
        offlineTimer = Task.detached {
            await self.unbind()
            try? await Task.sleep(for: .milliseconds(millis))
            guard !Task.isCancelled else { return }
            await self.comeBackFromTimer()
        }
    }

    private func comeBackFromTimer() async {
        guard !shutDown, offline else { return }
        offline = false
        offlineTimer = nil
        do {
            try await bind()
        } catch {
            logger.error("simulator could not come back online", metadata: ["sim.error": .string(error.description)])
        }
    }

    /// Stops everything; the simulator cannot be started again.
    func shutdown() async {
        guard !shutDown else { return }
        shutDown = true
        offlineTimer?.cancel()
        if let timer = offlineTimer { await timer.value }
        offlineTimer = nil
        for task in background { task.cancel() }
        for task in background { await task.value }
        background = []
        await unbind()
    }
}
