import Foundation
import OutboxModel

/// Builds validated requests from outbox commands. Pure: no I/O.
///
/// The body is the producer's payload, member for member and number literal for number
/// literal; for follow-ups `PaymentRequestId` is inserted as the first member. The whole body is
/// validated (``PaywallRequestValidator``); keys the catalog does not list are refused unless
/// ``PaywallConfiguration/unknownFields`` lets them through untouched.
public struct PaywallRequestBuilder: Sendable {
    /// The configuration (base addresses, credentials, approve variant).
    public var configuration: PaywallConfiguration

    /// Creates a builder.
    public init(configuration: PaywallConfiguration) {
        self.configuration = configuration
    }

    /// Builds the request for an outbox command whose payload is JSON text.
    ///
    /// - Parameters:
    ///   - kind: the command kind.
    ///   - payload: the outbox `payload` column.
    ///   - paymentRequestId: for follow-ups (cancel, rollback), the sale's PaymentRequestId;
    ///     must be `nil` for other kinds.
    public func build(kind: CommandKind, payload: String, paymentRequestId: String? = nil) throws(ValidationError)
        -> PaywallRequest
    {
        let json = try PaywallRequestValidator.parse(payload)
        return try build(kind: kind, payload: json, paymentRequestId: paymentRequestId)
    }

    /// Builds the request for an outbox command whose payload is already parsed.
    public func build(kind: CommandKind, payload: JSONValue, paymentRequestId: String? = nil) throws(ValidationError)
        -> PaywallRequest
    {
        let endpoint = configuration.catalog.endpoint(for: kind)
        guard case .object = payload else {
            throw ValidationError(
                code: .notAnObject, field: "", description: "the payload must be a JSON object, not \(payload.typeName)"
            )
        }
        var body = payload
        if endpoint.insertsPaymentRequestId {
            if !payload.keys(matching: "PaymentRequestId").isEmpty {
                throw ValidationError(
                    code: .forbiddenField, field: "PaymentRequestId",
                    description: "a \(kind.rawValue) payload must not carry PaymentRequestId; the worker inserts it")
            }
            guard let paymentRequestId else {
                throw ValidationError(
                    code: .missingField, field: "PaymentRequestId",
                    description: "PaymentRequestId is required for \(kind.rawValue) (the sale's id from Paywall)")
            }
            try PaywallRequestValidator.validatePaymentRequestId(paymentRequestId)
            body = payload.setting("PaymentRequestId", to: .string(paymentRequestId), insertingAt: 0)
        } else if paymentRequestId != nil {
            throw ValidationError(
                code: .forbiddenField, field: "PaymentRequestId",
                description: "\(kind.rawValue) does not act on a sale; no PaymentRequestId may be given")
        }
        try endpoint.body?.check(body, unknownFields: configuration.unknownFields)
        return request(for: endpoint, path: endpoint.path, body: body)
    }

    /// GET /api/payment/inquiry/{paymentRequestId}.
    public func paymentInquiry(paymentRequestId: String) throws(ValidationError) -> PaywallRequest {
        try PaywallRequestValidator.validatePaymentRequestId(paymentRequestId)
        let endpoint = configuration.catalog.endpoint(for: .paymentInquiry)
        let path = endpoint.path.replacingOccurrences(of: "{paymentRequestId}", with: paymentRequestId)
        return request(for: endpoint, path: path, body: nil)
    }

    /// POST /api/payment/list with `pageIndex`, `pageSize`, `startDate`, `endDate` (yyyy-MM-dd).
    public func paymentList(pageIndex: Int, pageSize: Int, startDate: String, endDate: String) throws(ValidationError)
        -> PaywallRequest
    {
        let endpoint = configuration.catalog.endpoint(for: .paymentList)
        let body: JSONValue = [
            "pageIndex": .number(String(pageIndex)), "pageSize": .number(String(pageSize)),
            "startDate": .string(startDate), "endDate": .string(endDate),
        ]
        try endpoint.body?.check(body)
        return request(for: endpoint, path: endpoint.path, body: body)
    }

    /// POST /api/payment/activities with `pageIndex`, `pageSize`, `PaymentRequestId`.
    public func paymentActivities(paymentRequestId: String, pageIndex: Int, pageSize: Int) throws(ValidationError)
        -> PaywallRequest
    {
        let endpoint = configuration.catalog.endpoint(for: .paymentActivities)
        let body: JSONValue = [
            "pageIndex": .number(String(pageIndex)), "pageSize": .number(String(pageSize)),
            "PaymentRequestId": .string(paymentRequestId),
        ]
        try endpoint.body?.check(body)
        return request(for: endpoint, path: endpoint.path, body: body)
    }

    private func request(for endpoint: PaywallEndpoint, path: String, body: JSONValue?) -> PaywallRequest {
        let credentials = configuration.credentials(for: endpoint.credentials)
        var headers = PaywallHeaders()
        headers.add(name: "Accept", value: "application/json")
        if body != nil {
            headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        }
        headers.add(name: endpoint.credentials.keyHeader, value: credentials.apiKey.revealedValue)
        headers.add(name: endpoint.credentials.clientHeader, value: credentials.apiClient.revealedValue)
        var base = configuration.baseURL(for: endpoint.api)
        while base.hasSuffix("/") { base.removeLast() }
        return PaywallRequest(
            operation: endpoint.operation, method: endpoint.method, baseURL: base, path: path, headers: headers,
            body: body?.serializedBytes())
    }
}
