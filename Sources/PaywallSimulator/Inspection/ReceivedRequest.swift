import OutboxModel

/// One request the simulator received on a Paywall endpoint, for the admin view. Credential
/// header values are never kept: they read `<redacted:ok>` or `<redacted:wrong>`.
public struct ReceivedRequest: Sendable, Hashable, Codable {
    /// 1 for the first request since start or reset, then 2, 3, ...
    public var sequence: Int
    /// When it arrived (simulator clock).
    public var receivedAt: EpochMillis
    /// The route name (`async_sale`, `payment_inquiry`, ...).
    public var route: String
    /// The HTTP method.
    public var method: String
    /// The path (with query, if any).
    public var path: String
    /// Header name/value pairs in order, credentials redacted.
    public var headers: [[String]]
    /// The body as text.
    public var body: String
    /// The fault decided for it.
    public var fault: Fault
    /// The HTTP status answered, `nil` when the connection was dropped without an answer.
    public var responseStatus: Int?
    /// The answer's body as text, `nil` when dropped.
    public var responseBody: String?

    /// Creates a record.
    public init(
        sequence: Int, receivedAt: EpochMillis, route: String, method: String, path: String, headers: [[String]],
        body: String, fault: Fault, responseStatus: Int? = nil, responseBody: String? = nil
    ) {
        self.sequence = sequence
        self.receivedAt = receivedAt
        self.route = route
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.fault = fault
        self.responseStatus = responseStatus
        self.responseBody = responseBody
    }
}
