import OutboxModel

/// What the admin view shows about one callback attempt.
public struct CallbackRecord: Sendable, Hashable, Codable {
    /// Where it was posted.
    public var url: String
    /// The payload text.
    public var payload: String
    /// The HTTP status the receiver answered, `nil` on a transport error.
    public var responseStatus: Int?
    /// The transport error, if any.
    public var error: String?
    /// Lost on purpose (``CallbackDeliverySettings/dropRate``): never posted.
    public var dropped: Bool

    /// Creates a record.
    public init(
        url: String, payload: String, responseStatus: Int? = nil, error: String? = nil, dropped: Bool = false
    ) {
        self.url = url
        self.payload = payload
        self.responseStatus = responseStatus
        self.error = error
        self.dropped = dropped
    }
}
