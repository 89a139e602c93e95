import Logging
import OutboxModel

/// Called after each request the transport carried: which operation, how it was classified and
/// how long it took (transport and classification). Requests refused before sending are not
/// requests and are not reported.
public typealias PaywallRequestObserver = @Sendable (PaywallOperation, PaywallOutcome, Duration) -> Void

/// Sends outbox commands and reconciliation reads to Paywall and classifies what came back.
///
/// Build (validate) → send through the ``PaywallTransport`` with the configured deadline →
/// ``AnswerClassifier``. Never throws: every path ends in a ``PaywallOutcome``. Never retries
/// and never resends by itself; that is the worker's decision.
public struct PaywallAPIClient: Sendable {
    /// The configuration.
    public let configuration: PaywallConfiguration
    private let transport: any PaywallTransport
    private let logger: Logger
    private let clock: any WallClock
    private let observer: PaywallRequestObserver?

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - configuration: base addresses, credentials, timeouts, rules.
    ///   - transport: ``HTTPClientTransport`` in production, ``InMemoryPaywallTransport`` in tests.
    ///   - logger: where to log; messages are constant, details are `paywall.*` metadata.
    ///   - clock: "now", for HTTP-date Retry-After.
    ///   - observer: told of every request that went to the transport (the worker's metrics).
    public init(
        configuration: PaywallConfiguration, transport: any PaywallTransport, logger: Logger,
        clock: any WallClock = SystemWallClock(), observer: PaywallRequestObserver? = nil
    ) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.clock = clock
        self.observer = observer
    }

    /// The request builder for this configuration.
    public var builder: PaywallRequestBuilder { PaywallRequestBuilder(configuration: configuration) }

    /// The classifier for this configuration.
    public var classifier: AnswerClassifier { AnswerClassifier(rules: configuration.classification) }

    /// Sends an outbox command (payload = the outbox `payload` column; `paymentRequestId` for
    /// follow-ups only).
    public func send(kind: CommandKind, payload: String, paymentRequestId: String? = nil) async -> PaywallOutcome {
        let request: PaywallRequest
        do {
            request = try prepare(kind: kind, payload: payload, paymentRequestId: paymentRequestId)
        } catch {
            return .invalid(error)
        }
        return await send(request)
    }

    /// Builds and validates the request for an outbox command without sending it, logging a
    /// refusal (`Paywall request refused before sending`). The worker prepares before it marks a
    /// command as leaving, so an invalid payload is never marked, let alone sent; send the
    /// result with ``send(_:logger:)``. `logger`: as in ``send(_:logger:)``.
    public func prepare(
        kind: CommandKind, payload: String, paymentRequestId: String? = nil, logger: Logger? = nil
    ) throws(ValidationError) -> PaywallRequest {
        do {
            return try builder.build(kind: kind, payload: payload, paymentRequestId: paymentRequestId)
        } catch {
            _ = refused(.command(kind), error, logger: logger)
            throw error
        }
    }

    /// Sends an outbox command whose payload is already parsed.
    public func send(kind: CommandKind, payload: JSONValue, paymentRequestId: String? = nil) async -> PaywallOutcome {
        let request: PaywallRequest
        do {
            request = try builder.build(kind: kind, payload: payload, paymentRequestId: paymentRequestId)
        } catch {
            return refused(.command(kind), error)
        }
        return await send(request)
    }

    /// Reads one payment: on success ``PaywallAnswer/paymentInfo`` holds it. `logger`: as in
    /// ``send(_:logger:)``.
    public func paymentInquiry(paymentRequestId: String, logger: Logger? = nil) async -> PaywallOutcome {
        let request: PaywallRequest
        do {
            request = try builder.paymentInquiry(paymentRequestId: paymentRequestId)
        } catch {
            return refused(.paymentInquiry, error, logger: logger)
        }
        return await send(request, logger: logger)
    }

    /// Reads one page of payments created between two dates (yyyy-MM-dd): on success
    /// ``PaywallAnswer/paymentListPage`` holds it. `logger`: as in ``send(_:logger:)``.
    public func paymentList(
        pageIndex: Int, pageSize: Int, startDate: String, endDate: String, logger: Logger? = nil
    ) async -> PaywallOutcome {
        let request: PaywallRequest
        do {
            request = try builder.paymentList(
                pageIndex: pageIndex, pageSize: pageSize, startDate: startDate, endDate: endDate)
        } catch {
            return refused(.paymentList, error, logger: logger)
        }
        return await send(request, logger: logger)
    }

    /// Reads one page of a payment's activities: on success ``PaywallAnswer/activityPage`` holds
    /// it. `logger`: as in ``send(_:logger:)``.
    public func paymentActivities(
        paymentRequestId: String, pageIndex: Int = 0, pageSize: Int = 50, logger: Logger? = nil
    ) async -> PaywallOutcome
    {
        let request: PaywallRequest
        do {
            request = try builder.paymentActivities(
                paymentRequestId: paymentRequestId, pageIndex: pageIndex, pageSize: pageSize)
        } catch {
            return refused(.paymentActivities, error, logger: logger)
        }
        return await send(request, logger: logger)
    }

    /// Sends a request built by ``builder`` and classifies the result.
    ///
    /// Logs through `logger` (the caller's, carrying its own metadata such as the worker's
    /// `outbox.command.id`) or, when nil, the client's: `Sending Paywall request` and `Paywall
    /// request done` at debug (the worker's own line for the command says how it ended at
    /// info), `Paywall request not done` at notice, `Paywall request outcome unknown` at
    /// warning, `Paywall unavailable` at error. The `paywall.*` metadata is built only for a line
    /// the logger writes.
    public func send(_ request: PaywallRequest, logger given: Logger? = nil) async -> PaywallOutcome {
        let endpoint = configuration.catalog.endpoint(for: request.operation)
        let logger = given ?? self.logger
        logger.debug("Sending Paywall request", metadata: Self.requestMetadata(request))
        let started = ContinuousClock.now
        let exchange: PaywallExchange
        do {
            exchange = .response(try await transport.send(request, timeout: configuration.requestTimeout))
        } catch {
            exchange = .failure(error)
        }
        let elapsed = ContinuousClock.now - started
        let outcome = classifier.classify(exchange, endpoint: endpoint, now: clock.now())
        observer?(request.operation, outcome, elapsed)
        let (level, message) = Self.line(for: outcome)
        logger.log(
            level: level, "\(message)",
            metadata: Self.answerMetadata(request, exchange: exchange, outcome: outcome, elapsed: elapsed))
        return outcome
    }

    /// The level and constant message of the line that says how a request ended.
    static func line(for outcome: PaywallOutcome) -> (Logger.Level, String) {
        switch outcome {
        case .succeeded, .alreadyDone: (.debug, "Paywall request done")
        case .transient, .rejected, .invalid: (.notice, "Paywall request not done")
        case .outcomeUnknown, .credentialsInDoubt: (.warning, "Paywall request outcome unknown")
        case .unavailable: (.error, "Paywall unavailable")
        }
    }

    static func requestMetadata(_ request: PaywallRequest) -> Logger.Metadata {
        [
            "paywall.kind": "\(request.operation.name)", "paywall.http.method": "\(request.method.rawValue)",
            "paywall.http.path": "\(request.path)",
        ]
    }

    static func answerMetadata(
        _ request: PaywallRequest, exchange: PaywallExchange, outcome: PaywallOutcome, elapsed: Duration
    ) -> Logger.Metadata {
        var metadata = requestMetadata(request)
        metadata["paywall.outcome"] = "\(outcome.recordName)"
        metadata["paywall.duration_ms"] =
            "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)"
        if case .failure(let error) = exchange {
            metadata["paywall.transport.error"] = "\(error.code.rawValue)"
            metadata["paywall.transport.may_have_been_sent"] = "\(error.requestMayHaveBeenSent)"
        }
        if let answer = outcome.answer {
            metadata["paywall.http.status"] = "\(answer.httpStatus)"
            if let code = answer.errorCodeText { metadata["paywall.error_code"] = "\(code)" }
            if let message = answer.message { metadata["paywall.message"] = "\(message)" }
            if let message = answer.clientMessage { metadata["paywall.client_message"] = "\(message)" }
            if let id = answer.ids.paymentRequestId { metadata["paywall.payment_request_id"] = "\(id)" }
        }
        return metadata
    }

    private func refused(_ operation: PaywallOperation, _ error: ValidationError, logger given: Logger? = nil)
        -> PaywallOutcome
    {
        (given ?? logger).notice(
            "Paywall request refused before sending",
            metadata: [
                "paywall.kind": "\(operation.name)", "paywall.outcome": "invalid",
                "paywall.validation.field": "\(error.field)", "paywall.validation.code": "\(error.code.rawValue)",
            ])
        return .invalid(error)
    }
}
