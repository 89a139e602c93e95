import Foundation
import OutboxModel

/// A clock that moves only when told to, for deterministic tests of time-dependent rules.
public final class ManualWallClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: EpochMillis

    /// Creates a clock reading `start`.
    public init(start: EpochMillis = 1_767_225_600_000) {
        self.current = start
    }

    /// The current reading.
    public func now() -> EpochMillis {
        lock.withLock { current }
    }

    /// Moves the clock forward by `millis`.
    public func advance(by millis: EpochMillis) {
        lock.withLock { current += millis }
    }

    /// Sets the clock (never backwards).
    public func set(_ millis: EpochMillis) {
        lock.withLock { current = max(current, millis) }
    }
}
