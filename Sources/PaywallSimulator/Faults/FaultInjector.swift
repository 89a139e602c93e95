/// Decides the fault of each Paywall request from the settings, a queue of scripted faults and
/// a seeded generator. Pure: same seed, settings and call sequence → same decisions.
///
/// Each decision without a scripted fault consumes exactly one random draw `u` in `0 ..< 1`,
/// mapped onto consecutive bands: 500, then 503, then 429, then slow, then drop, then none.
/// Scripted faults (``script``) are served first, in order, and consume no draw.
public struct FaultInjector: Sendable {
    /// The rates in force.
    public var settings: FaultSettings
    /// Faults forced on the next requests, first one next.
    public var script: [Fault]
    /// The seed the generator started from.
    public let seed: UInt64
    private var generator: SplitMix64
    /// How many decisions were made.
    public private(set) var decisions: Int = 0

    /// Creates an injector.
    public init(seed: UInt64, settings: FaultSettings = .none, script: [Fault] = []) {
        self.seed = seed
        self.settings = settings
        self.script = script
        self.generator = SplitMix64(seed: seed)
    }

    /// The fault for the next request.
    public mutating func decide() -> Fault {
        decisions += 1
        if !script.isEmpty { return script.removeFirst() }
        let draw = generator.nextUnitInterval()
        var bound = settings.serverErrorRate
        if draw < bound { return .serverError }
        bound += settings.serviceUnavailableRate
        if draw < bound { return .serviceUnavailable }
        bound += settings.tooManyRequestsRate
        if draw < bound { return .tooManyRequests }
        bound += settings.slowRate
        if draw < bound { return .slow }
        bound += settings.dropAfterProcessingRate
        if draw < bound { return .dropAfterProcessing }
        return .none
    }
}
