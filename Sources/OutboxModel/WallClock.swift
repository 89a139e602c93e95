import Foundation

/// Milliseconds since the Unix epoch, UTC: the time unit of the schema and of every rule.
public typealias EpochMillis = Int64

/// The source of "now" for every time-dependent rule, injected so tests control time.
public protocol WallClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    func now() -> EpochMillis

    /// Time elapsed as a monotonic clock measures it (ms from any fixed origin), which a step of
    /// the wall clock does not move: the worker compares the two to notice a step. nil (the
    /// default): the process's monotonic clock (`ContinuousClock`). A test clock that can step
    /// gives its own, so a step it makes is noticed like a real one.
    func monotonicMillis() -> Int64?
}

extension WallClock {
    public func monotonicMillis() -> Int64? { nil }
}

/// The real clock.
public struct SystemWallClock: WallClock {
    /// Creates the system clock.
    public init() {}
    /// The current time from the operating system.
    public func now() -> EpochMillis {
        EpochMillis((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A clock that always says the same time (for one-off decisions and tests).
public struct FixedWallClock: WallClock {
    /// The time it says.
    public var millis: EpochMillis
    /// Creates a clock stopped at `millis`.
    public init(_ millis: EpochMillis) { self.millis = millis }
    /// `millis`.
    public func now() -> EpochMillis { millis }
    /// No time passes for a stopped clock, so it never looks like a step.
    public func monotonicMillis() -> Int64? { 0 }
}
