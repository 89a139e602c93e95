import OutboxModel
import PaywallClient

/// How to start a simulator. Every field has a default suitable for tests and demos.
public struct SimulatorConfiguration: Sendable {
    /// The address to listen on; loopback by default.
    public var host: String
    /// The port; `0` asks the system for a free one (read it from ``PaywallSimulator/baseURL``).
    public var port: Int
    /// Seed of every random decision (faults, generated ids, pair codes).
    public var seed: UInt64
    /// The fake credentials accepted.
    public var credentials: SimulatorCredentials
    /// Terminal timing and default outcome.
    public var device: DeviceSettings
    /// Per-terminal settings at start, by terminal key (tag code, or lowercase TerminalId).
    public var terminals: [String: TerminalSettings]
    /// Fault rates at start.
    public var faults: FaultSettings
    /// Whether to start offline (port closed).
    public var startOffline: Bool
    /// The source of "now" for the device model; tests inject a ``ManualWallClock``.
    public var clock: any WallClock
    /// How often the simulator looks for due device transitions to send callbacks
    /// (milliseconds); `0` disables the background tick (inquiries still see the truth).
    public var tickIntervalMillis: Int64
    /// Key for the callback `Hash`; `nil` disables callbacks.
    public var callbackHashKey: String?
    /// How callbacks are delivered: drops, duplicates, order, the `HashKeyType` written.
    public var callbackDelivery: CallbackDeliverySettings
    /// How many received requests the log keeps (oldest dropped first).
    public var requestLogLimit: Int
    /// What request validation does with a key the catalog does not list: refuse it with
    /// `System.ValidationError` (default, an independent check that the worker sent none), or
    /// let it through (`paywall-sim --allow-unknown-fields`; `worker --simulator` follows the
    /// worker's own setting).
    public var unknownFields: UnknownFieldPolicy

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 0, seed: UInt64 = 1,
        credentials: SimulatorCredentials = SimulatorCredentials(), device: DeviceSettings = DeviceSettings(),
        terminals: [String: TerminalSettings] = [:], faults: FaultSettings = .none, startOffline: Bool = false,
        clock: any WallClock = SystemWallClock(), tickIntervalMillis: Int64 = 250,
        callbackHashKey: String? = "sim-webhook-hash-key", requestLogLimit: Int = 10_000,
        unknownFields: UnknownFieldPolicy = .refuse,
        callbackDelivery: CallbackDeliverySettings = CallbackDeliverySettings()
    ) {
        self.host = host
        self.port = port
        self.seed = seed
        self.credentials = credentials
        self.device = device
        self.terminals = terminals
        self.faults = faults
        self.startOffline = startOffline
        self.clock = clock
        self.tickIntervalMillis = tickIntervalMillis
        self.callbackHashKey = callbackHashKey
        self.requestLogLimit = requestLogLimit
        self.unknownFields = unknownFields
        self.callbackDelivery = callbackDelivery
    }
}
