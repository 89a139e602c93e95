import Foundation
import OutboxModel

/// A clock that moves only when told to, for deterministic tests of time-dependent rules.
public final class ManualWallClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: EpochMillis
    /// Forward movement only: what a monotonic clock would have measured.
    private var elapsed: Int64 = 0

    /// Creates a clock reading `start`.
    public init(start: EpochMillis = 1_767_225_600_000) {
        self.current = start
    }

    /// The current reading.
    public func now() -> EpochMillis {
        lock.withLock { current }
    }

    /// Moves the clock by `millis`: forward as time passing, backward (negative) as a step of
    /// the wall clock (NTP, a VM resumed), which ``monotonicMillis()`` does not follow.
    public func advance(by millis: EpochMillis) {
        lock.withLock {
            current += millis
            if millis > 0 { elapsed += millis }
        }
    }

    /// Forward movement so far: time that passed, steps back left out.
    public func monotonicMillis() -> Int64? {
        lock.withLock { elapsed }
    }

    /// Sets the clock (never backwards).
    public func set(_ millis: EpochMillis) {
        lock.withLock {
            elapsed += max(0, millis - current)
            current = max(current, millis)
        }
    }
}
