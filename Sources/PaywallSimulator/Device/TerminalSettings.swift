/// Per-terminal settings, keyed by the terminal's tag code or id as the request named it.
public struct TerminalSettings: Sendable, Hashable, Codable {
    /// An offline terminal never takes a command (sales stay `SentToDevice`).
    public var offline: Bool
    /// This terminal's outcome rule; `nil` uses ``DeviceSettings/defaultOutcome``.
    public var outcome: SaleOutcomeRule?

    /// Creates terminal settings.
    public init(offline: Bool = false, outcome: SaleOutcomeRule? = nil) {
        self.offline = offline
        self.outcome = outcome
    }
}
