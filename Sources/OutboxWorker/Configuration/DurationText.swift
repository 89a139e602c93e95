import Foundation

/// Durations as operators write them: a number and a unit, `500ms`, `1.5s`, `2m`, `1h`, `7d`.
/// A bare number is refused (is `60` seconds or milliseconds?), except `0`, which is zero in
/// every unit (the documented way to switch following off is `--follow-interval 0`).
public enum DurationText {
    /// The units and their length in milliseconds.
    static let units: [(suffix: String, millis: Double)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// The duration in milliseconds, or nil when `text` is neither `0` nor a non-negative number
    /// followed by one of ms, s, m, h, d (whole milliseconds; fractions round down).
    public static func parseMillis(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "0" { return 0 }
        // "ms" before "m" and "s": try the longest suffix first.
        for unit in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                number.filter({ $0 == "." }).count <= 1, number.first != ".", number.last != ".",
                let value = Double(number)
            else { return nil }
            let millis = value * unit.millis
            guard millis.isFinite, millis < 9.0e15 else { return nil }
            return Int64(millis.rounded(.down))
        }
        return nil
    }

    /// The shortest exact spelling: `500ms`, `90s`, `2m`, `1h`, `7d`.
    public static func format(millis: Int64) -> String {
        if millis == 0 { return "0s" }
        for unit in units.reversed() {
            let size = Int64(unit.millis)
            if millis % size == 0 { return "\(millis / size)\(unit.suffix)" }
        }
        return "\(millis)ms"
    }
}

extension Duration {
    /// Whole milliseconds (fractions of a millisecond dropped): the worker's one conversion from
    /// `Duration` to the `EpochMillis` arithmetic of its rules.
    var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
