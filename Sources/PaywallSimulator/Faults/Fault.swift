/// What the simulator does to one Paywall request.
public enum Fault: String, Sendable, Hashable, Codable, CaseIterable {
    /// No fault: processed and answered normally.
    case none
    /// Answered 500 with an error envelope; not processed.
    case serverError = "server_error"
    /// Answered 503 with `Retry-After`; not processed.
    case serviceUnavailable = "service_unavailable"
    /// Answered 429 with `Retry-After`; not processed.
    case tooManyRequests = "too_many_requests"
    /// Processed, answered after the slow delay.
    case slow
    /// Processed, then the connection is closed without an answer.
    case dropAfterProcessing = "drop_after_processing"

    /// Whether the command takes effect.
    public var processes: Bool {
        switch self {
        case .none, .slow, .dropAfterProcessing: true
        case .serverError, .serviceUnavailable, .tooManyRequests: false
        }
    }
}
