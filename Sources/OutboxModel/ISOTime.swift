#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// UTC times as ISO-8601 text with milliseconds (`2026-11-21T09:30:01.234Z`): the log lines'
/// timestamp and the times logs and errors quote.
///
/// Integer arithmetic on the epoch milliseconds (the proleptic Gregorian calendar: the same
/// text as `Date.ISO8601FormatStyle` from 1582-10-15 on, where Foundation's calendar stops
/// being Julian; a test compares the two over 1900–2200), so a log line costs no
/// formatter: making and using Foundation's was about a tenth of the worker's logging CPU.
public enum ISOTime {
    /// `millis` (milliseconds since 1970-01-01T00:00:00Z; negative before it) as
    /// `yyyy-MM-ddTHH:mm:ss.SSSZ`. Years outside 0...9999 are written with as many digits as
    /// they need (no sign for year 0…; a `-` before an earlier year).
    public static func text(epochMillis millis: Int64) -> String {
        let (days, dayMillis) = floorDivide(millis, 86_400_000)
        let (year, month, day) = civil(daysSinceEpoch: days)
        let seconds = dayMillis / 1000
        // The year: four digits from 0 to 9999, else as many as it needs, after a `-` when
        // negative. Written into one buffer: one String made, none for the parts.
        let yearDigits = (0...9999).contains(year) ? 4 : String(year.magnitude).utf8.count
        let length = 20 + yearDigits + (year < 0 ? 1 : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            var at = 0
            func put(_ value: UInt64, _ width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[at + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                at += width
            }
            func put(_ value: Int64, _ width: Int) { put(UInt64(value), width) }
            func put(_ byte: Character) {
                buffer[at] = byte.asciiValue!
                at += 1
            }
            if year < 0 { put("-") }
            put(year.magnitude, yearDigits)
            put("-")
            put(month, 2)
            put("-")
            put(day, 2)
            put("T")
            put(seconds / 3600, 2)
            put(":")
            put(seconds / 60 % 60, 2)
            put(":")
            put(seconds % 60, 2)
            put(".")
            put(dayMillis % 1000, 3)
            put("Z")
            return at
        }
    }

    /// The wall clock now (`CLOCK_REALTIME`) as ``text(epochMillis:)``.
    public static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return text(epochMillis: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// Quotient rounded down and a non-negative remainder.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// Year, month (1–12) and day (1–31) of a day counted from 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    static func civil(daysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
