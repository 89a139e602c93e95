/// An error of the simulator's own API (not a simulated Paywall answer).
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of simulator error.
    public enum Code: String, Sendable, Hashable {
        /// Fault settings out of range.
        case invalidFaults = "invalid_faults"
        /// The listener could not bind its address.
        case bindFailed = "bind_failed"
        /// The simulator was used after ``PaywallSimulator/shutdown()`` or before start.
        case notRunning = "not_running"
        /// An admin request body was not understood.
        case badAdminRequest = "bad_admin_request"
        /// Callback delivery settings out of range.
        case invalidCallbackSettings = "invalid_callback_settings"
    }

    /// What went wrong.
    public var code: Code
    /// A human explanation.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
