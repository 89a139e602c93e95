import Hummingbird
import Logging
import OutboxStore
import ServiceLifecycle

/// The worker's own HTTP listener (Hummingbird) at `--metrics-address`: `GET /metrics`
/// (Prometheus text), `GET /health` and `GET /ready` (200 or 503 with one line of plain text).
/// Every other path is 404. It never shares a listener with anything public.
///
/// Run it in the worker's `ServiceGroup` before the worker, so it shuts down after the worker
/// has drained (health stays visible while in-flight sends finish).
public struct MonitoringServer: Service {
    let address: MetricsAddress
    let worker: OutboxWorker
    let metrics: WorkerMetrics
    let logger: Logger

    /// A server for `worker`'s metrics; nil when the worker was made without ``WorkerMetrics``.
    public init?(address: MetricsAddress, worker: OutboxWorker, logger: Logger) {
        guard let metrics = worker.metrics else { return nil }
        self.address = address
        self.worker = worker
        self.metrics = metrics
        self.logger = logger
    }

    /// Binds and serves until graceful shutdown. A failure to bind ends it with an error naming
    /// the address.
    public func run() async throws {
        let router = Router()
        let worker = self.worker
        let metrics = self.metrics
        router.get("/metrics") { _, _ in
            Self.text(
                await metrics.render(store: worker.store, now: worker.clock.now()), status: .ok,
                contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/health") { _, _ in
            Self.answer(
                HealthCheck.liveness(
                    loopAge: metrics.liveness.age(),
                    staleAfter: HealthCheck.loopStaleAfter(idlePollMillis: worker.configuration.idlePollMillis),
                    pausedReason: metrics.pauseReason()))
        }
        router.get("/ready") { _, _ in
            let facts: Result<ReadinessFacts, any Error>
            do {
                facts = .success(try await worker.store.readinessFacts(worker: worker.configuration.workerID))
            } catch {
                facts = .failure(error)
            }
            return Self.answer(
                HealthCheck.readiness(
                    facts: facts, fileProblem: worker.store.localFile?.fileProblem(),
                    latestSchema: worker.store.latestSchemaVersion,
                    now: worker.clock.now()))
        }
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice(
                    "Metrics, health and readiness listening",
                    metadata: [
                        "metrics.address": "\(MetricsAddress(host: address.host, port: port))",
                        "metrics.paths": "/metrics /health /ready",
                    ])
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            throw MonitoringServerError(address: address, underlying: "\(error)")
        }
    }

    static func answer(_ answer: HealthAnswer) -> Response {
        text(answer.text + "\n", status: answer.ok ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8")
    }

    static func text(_ text: String, status: HTTPResponse.Status, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The metrics listener could not run (usually: the address is in use or not on this machine).
public struct MonitoringServerError: Error, CustomStringConvertible {
    /// The configured address.
    public var address: MetricsAddress
    /// What failed.
    public var underlying: String

    public var description: String {
        "cannot serve metrics on \(address) (--metrics-address): \(underlying)"
    }
}
