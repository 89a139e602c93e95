/// A ready-to-send HTTP request to Paywall. `description`, `debugDescription` and `dump` never
/// show credential header values.
public struct PaywallRequest: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The operation the request performs.
    public var operation: PaywallOperation
    /// The HTTP method.
    public var method: HTTPMethod
    /// The base address (no trailing slash).
    public var baseURL: String
    /// The path with its parameters filled in, e.g. `/api/payment/async/sale`.
    public var path: String
    /// The headers, in order.
    public var headers: PaywallHeaders
    /// The JSON body bytes, or `nil` for none.
    public var body: [UInt8]?

    /// Creates a request.
    public init(
        operation: PaywallOperation, method: HTTPMethod, baseURL: String, path: String, headers: PaywallHeaders,
        body: [UInt8]?
    ) {
        self.operation = operation
        self.method = method
        self.baseURL = baseURL
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// `baseURL + path`.
    public var url: String { baseURL + path }

    /// The body as text (for tests and logs of non-secret payloads), or `nil`.
    public var bodyText: String? { body.map { String(decoding: $0, as: UTF8.self) } }

    /// `POST https://.../api/payment/async/sale [headers] (123 body bytes)`, secrets redacted.
    public var description: String {
        "\(method.rawValue) \(url) \(headers) (\(body?.count ?? 0) body bytes)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror with redacted headers and the body size only.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "operation": operation, "method": method, "url": url, "headers": headers,
                "bodyBytes": body?.count ?? 0,
            ], displayStyle: .struct)
    }
}
