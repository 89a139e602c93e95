/// Fault rates and parameters. Rates are probabilities per Paywall request (admin requests are
/// never faulted); their sum must not exceed 1.
public struct FaultSettings: Sendable, Hashable, Codable {
    /// Share of requests answered 500 without being processed.
    public var serverErrorRate: Double
    /// Share of requests answered 503 (with `Retry-After`) without being processed.
    public var serviceUnavailableRate: Double
    /// Share of requests answered 429 with `Retry-After` without being processed.
    public var tooManyRequestsRate: Double
    /// The `Retry-After` value (seconds) of a 429 or 503.
    public var retryAfterSeconds: Int
    /// Share of requests processed normally but answered only after ``slowDelayMillis``.
    public var slowRate: Double
    /// The delay of a slow answer, in milliseconds.
    public var slowDelayMillis: Int64
    /// Share of requests processed (the command takes effect) whose connection is then closed
    /// without any answer.
    public var dropAfterProcessingRate: Double

    /// No faults.
    public static let none = FaultSettings()

    /// Creates fault settings; every rate defaults to 0.
    public init(
        serverErrorRate: Double = 0, serviceUnavailableRate: Double = 0, tooManyRequestsRate: Double = 0,
        retryAfterSeconds: Int = 1, slowRate: Double = 0, slowDelayMillis: Int64 = 2_000,
        dropAfterProcessingRate: Double = 0
    ) {
        self.serverErrorRate = serverErrorRate
        self.serviceUnavailableRate = serviceUnavailableRate
        self.tooManyRequestsRate = tooManyRequestsRate
        self.retryAfterSeconds = retryAfterSeconds
        self.slowRate = slowRate
        self.slowDelayMillis = slowDelayMillis
        self.dropAfterProcessingRate = dropAfterProcessingRate
    }

    /// Why the settings are unusable, or `nil` when they are fine.
    public var problem: String? {
        let rates = [
            ("serverErrorRate", serverErrorRate), ("serviceUnavailableRate", serviceUnavailableRate),
            ("tooManyRequestsRate", tooManyRequestsRate),
            ("slowRate", slowRate), ("dropAfterProcessingRate", dropAfterProcessingRate),
        ]
        for (name, rate) in rates where !(rate >= 0 && rate <= 1) {
            return "\(name) must be between 0 and 1"
        }
        if rates.map(\.1).reduce(0, +) > 1 + 1e-9 { return "the fault rates add up to more than 1" }
        if retryAfterSeconds < 0 { return "retryAfterSeconds must not be negative" }
        if slowDelayMillis < 0 { return "slowDelayMillis must not be negative" }
        return nil
    }
}
