/// The times the outbox accepts, in milliseconds since the Unix epoch.
///
/// A time outside this range cannot be a real millisecond timestamp written by merchant software:
/// seconds (1.8e9 is January 1970 in milliseconds), microseconds (year 59,000) and negative values
/// all fall outside it. The schema (migration 003) refuses producer times outside it, and rows
/// written before that migration are read through the same bounds, so no arithmetic on a time can
/// overflow.
public enum EpochRange {
    /// 2000-01-01T00:00:00Z, the earliest time a producer may write.
    public static let earliest: EpochMillis = 946_684_800_000
    /// 2100-01-01T00:00:00Z (exclusive), after the latest time anyone may write.
    public static let end: EpochMillis = 4_102_444_800_000

    /// Whether a producer-written time (`created_at`, `not_before`, `deadline`) is acceptable.
    public static func isProducerTime(_ millis: Int64) -> Bool {
        millis >= earliest && millis < end
    }

    /// Whether a worker-written time is acceptable (`due_at` 0 means "at once").
    public static func isWorkerTime(_ millis: Int64) -> Bool {
        millis >= 0 && millis < end
    }
}
