import PaywallClient

/// One request to a Paywall endpoint, as the pure ``SimulatedPaywall`` sees it.
public struct PaywallCall: Sendable {
    /// The endpoint.
    public var route: SimulatorRoute
    /// The request headers in order.
    public var headers: PaywallHeaders
    /// The raw body bytes (empty for none).
    public var body: [UInt8]
    /// The `{paymentRequestId}` path parameter of an inquiry.
    public var pathParameter: String?

    /// Creates a call.
    public init(route: SimulatorRoute, headers: PaywallHeaders, body: [UInt8] = [], pathParameter: String? = nil) {
        self.route = route
        self.headers = headers
        self.body = body
        self.pathParameter = pathParameter
    }
}
