import OutboxModel

/// A terminal's settings plus when it last came online (commands are not taken before that).
public struct TerminalState: Sendable, Hashable, Codable {
    /// The settings.
    public var settings: TerminalSettings
    /// When the terminal last went from offline to online (`nil`: always online).
    public var onlineSince: EpochMillis?

    /// Creates a terminal state.
    public init(settings: TerminalSettings = TerminalSettings(), onlineSince: EpochMillis? = nil) {
        self.settings = settings
        self.onlineSince = onlineSince
    }
}
