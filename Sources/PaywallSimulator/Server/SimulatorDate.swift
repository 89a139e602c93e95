import OutboxModel

/// Date formatting without Foundation formatters (UTC, proleptic Gregorian calendar).
enum SimulatorDate {
    /// `yyyy-MM-dd` of the UTC day containing `millis`.
    static func day(_ millis: EpochMillis) -> String {
        let (y, m, d) = civil(days: floorDiv(millis, 86_400_000))
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ`.
    static func timestamp(_ millis: EpochMillis) -> String {
        let dayMillis = millis - floorDiv(millis, 86_400_000) * 86_400_000
        let h = Int(dayMillis / 3_600_000)
        let mi = Int(dayMillis / 60_000 % 60)
        let s = Int(dayMillis / 1000 % 60)
        let ms = Int(dayMillis % 1000)
        return day(millis) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(ms, 3) + "Z"
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Howard Hinnant's days-from-civil inverse.
    private static func civil(days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }
}
