import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import OutboxModel
import PaywallClient
import ServiceLifecycle
import Synchronization

/// Receives Paywall's physical-payment callbacks (API-NOTES S6) over HTTP and hands the verified
/// ones to a ``CallbackSink``. A swift-service-lifecycle `Service`: it runs beside the dispatcher
/// in the worker's `ServiceGroup` and stops on graceful shutdown (SIGTERM), letting requests in
/// progress finish.
///
/// It serves one thing: `POST` on the configured path. Any other path is 404, another method on
/// the path 405. A body is read up to ``CallbackListenerConfiguration/maximumBodyBytes`` (more:
/// 413), verified by ``CallbackVerifier``, and then:
/// - verified: passed to the sink once per delivery (duplicates too: idempotency is the sink's);
///   200 when the sink returns, whatever it did; 503 with `Retry-After` when it throws;
/// - refused: 400 (401 for `hash_mismatch` and `unknown_key_type`), counted and logged at notice
///   with the reason and the PaymentRequestId when readable; never handed to the sink.
///
/// The answers are ``CallbackReply``'s constant texts. Nothing logged holds the body, a key or a
/// hash. In production it sits behind the merchant's reverse proxy (TLS, source filtering).
public final class CallbackListener: Service, Sendable {
    /// The configuration.
    public let configuration: CallbackListenerConfiguration
    let verifier: CallbackVerifier
    let sink: any CallbackSink
    let clock: any WallClock
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var counters = CallbackCounters()
        var port: Int?
        var stopped = false
        var waiters: [CheckedContinuation<Int?, Never>] = []
    }

    /// Where received, verified and refused callbacks are counted for `/metrics`, when served.
    let metrics: WorkerMetrics?

    /// Creates a listener (it binds in ``run()``).
    public init(
        configuration: CallbackListenerConfiguration, sink: any CallbackSink, clock: any WallClock = SystemWallClock(),
        logger: Logger, metrics: WorkerMetrics? = nil
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.verifier = CallbackVerifier(keys: configuration.keys, maximumBodyBytes: configuration.maximumBodyBytes)
        self.sink = sink
        self.clock = clock
        self.logger = logger
    }

    /// A snapshot of the counters.
    public var counters: CallbackCounters {
        state.withLock { $0.counters }
    }

    /// The bound port once listening (`nil` before, or after it stopped).
    public var port: Int? {
        state.withLock { $0.stopped ? nil : $0.port }
    }

    /// Waits until the listener is bound and returns its port, or `nil` if it stopped first
    /// (a bind failure, shutdown).
    public func waitUntilListening() async -> Int? {
        await withCheckedContinuation { continuation in
            let ready: Int?? = state.withLock { state in
                if state.stopped { return .some(nil) }
                if let port = state.port { return .some(port) }
                state.waiters.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Binds, serves until graceful shutdown or cancellation, then returns. Throws when it cannot
    /// bind (the address is in use, not local, or not allowed).
    public func run() async throws {
        let responder = CallbackResponder<BasicRequestContext> { [self] request, _ in
            await self.respond(to: request)
        }
        var serverLogger = logger
        // Hummingbird's own per-request lines are noise here; problems still show.
        serverLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .milliseconds(configuration.idleTimeoutMillis))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                availableConnectionsDelegate: MaximumAvailableConnections(
                    configuration.maximumConnections, logger: serverLogger)),
            onServerRunning: { [self] channel in
                self.didBind(port: channel.localAddress?.port ?? configuration.port)
            },
            logger: serverLogger)
        defer { didStop() }
        do {
            try await app.run()
        } catch {
            logger.error(
                "Callback listener failed",
                metadata: [
                    "outbox.callback.address": .string(configuration.addressText), "outbox.error": .string("\(error)"),
                ])
            throw error
        }
        let counters = self.counters
        logger.notice(
            "Callback listener stopped",
            metadata: [
                "outbox.callback.received": "\(counters.received)",
                "outbox.callback.verified": "\(counters.verified)",
                "outbox.callback.refused": "\(counters.refusedTotal)",
            ])
    }

    private func didBind(port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
        logger.notice(
            "Callback listener running",
            metadata: [
                "outbox.callback.host": .string(configuration.host), "outbox.callback.port": "\(port)",
                "outbox.callback.path": .string(configuration.path),
                "outbox.callback.keys": .string(configuration.keys.summary),
            ])
    }

    private func didStop() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    // MARK: Requests

    func respond(to request: Request) async -> Response {
        guard request.uri.path == configuration.path else {
            state.withLock { $0.counters.notServed += 1 }
            return Self.response(.notFound)
        }
        guard request.method == .post else {
            state.withLock { $0.counters.notServed += 1 }
            return Self.response(.methodNotAllowed)
        }
        state.withLock { $0.counters.received += 1 }
        metrics?.callbackReceived()
        let receivedAt = clock.now()
        let body: [UInt8]
        switch await read(request) {
        case .some(let bytes): body = bytes
        case .none: return refuse(CallbackRefusal(code: .bodyTooLarge))
        }
        let callback: PaymentCallback
        switch verifier.verify(body: body) {
        case .refused(let refusal): return refuse(refusal)
        case .verified(let verified): callback = verified
        }
        state.withLock { $0.counters.verified += 1 }
        metrics?.callbackVerified()
        let verified = VerifiedCallback(callback, receivedAt: receivedAt, body: String(decoding: body, as: UTF8.self))
        var metadata: Logger.Metadata = [
            "outbox.payment_request_id": .string(callback.paymentRequestId),
            "outbox.callback.activity_id": .string(callback.paymentRequestActivityId ?? ""),
            "outbox.callback.payment_type_id": "\(callback.paymentTypeId)",
            "outbox.callback.status_id": "\(callback.paymentStatusId)",
        ]
        do {
            let disposition = try await sink.accept(verified)
            state.withLock { $0.counters.count(disposition) }
            metadata["outbox.callback.disposition"] = .string(disposition.rawValue)
            logger.info("Callback verified", metadata: metadata)
            return Self.response(.accepted)
        } catch {
            state.withLock { $0.counters.sinkFailed += 1 }
            metadata["outbox.error"] = .string("\(error)")
            logger.warning(
                "Callback verified but not recorded: answered 503 so it may be sent again", metadata: metadata)
            return Self.response(.sinkFailed)
        }
    }

    /// The body, or `nil` when it is larger than allowed (stops reading at the limit).
    private func read(_ request: Request) async -> [UInt8]? {
        let limit = configuration.maximumBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { return nil }
        var bytes: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard bytes.count + buffer.readableBytes <= limit else { return nil }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch {
            // The connection broke mid-body: what arrived is incomplete and will not verify.
            return bytes
        }
        return bytes
    }

    private func refuse(_ refusal: CallbackRefusal) -> Response {
        state.withLock { $0.counters.refused[refusal.code, default: 0] += 1 }
        metrics?.callbackRefused()
        var metadata: Logger.Metadata = ["outbox.callback.refusal": .string(refusal.code.rawValue)]
        if let field = refusal.field { metadata["outbox.callback.field"] = .string(field) }
        if let id = refusal.paymentRequestId { metadata["outbox.payment_request_id"] = .string(id) }
        logger.notice("Callback refused", metadata: metadata)
        return Self.response(.refused(refusal.code))
    }

    static func response(_ reply: CallbackReply) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        for (name, value) in reply.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: reply.text)))
    }
}
