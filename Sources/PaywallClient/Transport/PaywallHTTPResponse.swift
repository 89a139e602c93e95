/// An HTTP answer as the transport received it.
public struct PaywallHTTPResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// The response headers.
    public var headers: PaywallHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: PaywallHeaders = PaywallHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Creates a response with a text body (tests, simulator).
    public init(status: Int, headers: PaywallHeaders = PaywallHeaders(), text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }
}
