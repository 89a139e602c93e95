/// Timing and behaviour of the simulated terminals.
public struct DeviceSettings: Sendable, Hashable, Codable {
    /// How long after a command is accepted an online terminal takes it (milliseconds).
    /// Defaults to 8 s, so a rollback sent between 5 s and 8 s after a sale succeeds.
    public var takeDelayMillis: Int64
    /// How long a terminal works on a sale it has taken before it succeeds or fails (milliseconds).
    public var processingMillis: Int64
    /// The outcome rule of terminals that have no rule of their own.
    public var defaultOutcome: SaleOutcomeRule

    /// Paywall's rule: a rollback is refused during this many milliseconds after the command.
    public static let rollbackEmbargoMillis: Int64 = 5_000

    /// Creates device settings.
    public init(
        takeDelayMillis: Int64 = 8_000, processingMillis: Int64 = 2_000, defaultOutcome: SaleOutcomeRule = .byAmount
    ) {
        self.takeDelayMillis = takeDelayMillis
        self.processingMillis = processingMillis
        self.defaultOutcome = defaultOutcome
    }
}
