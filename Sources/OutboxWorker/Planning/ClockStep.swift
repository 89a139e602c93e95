import OutboxModel

/// Noticing the wall clock step back (NTP, a VM resumed from a snapshot). Pure.
public enum ClockStep {
    /// Steps smaller than this are jitter, not a step (ms).
    public static let thresholdMillis: Int64 = 1_000

    /// How far the wall clock went back since the last reading: `lastWall` plus the monotonic
    /// time elapsed is where it should be; nil unless `now` is more than ``thresholdMillis``
    /// behind that.
    public static func backward(lastWall: EpochMillis, now: EpochMillis, elapsedMillis: Int64) -> Int64? {
        let back = lastWall + elapsedMillis - now
        return back > thresholdMillis ? back : nil
    }
}
