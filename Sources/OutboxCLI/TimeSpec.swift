import ArgumentParser
import Foundation
import OutboxModel

/// A length of time on the command line: `90s`, `15m`, `2h`, `7d`, `1h30m`, `500ms`.
public struct DurationSpec: ExpressibleByArgument, Sendable, Hashable, CustomStringConvertible {
    /// The length in milliseconds.
    public var millis: Int64

    /// Creates a duration.
    public init(millis: Int64) { self.millis = millis }

    /// Parses `1h30m`-style text; nil when malformed or zero.
    public init?(argument: String) {
        guard let millis = Self.parse(argument), millis > 0 else { return nil }
        self.millis = millis
    }

    static func parse(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isNumber)
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) })
            else { return nil }
            rest = rest.dropFirst(unit.0.count)
            let (part, overflowA) = number.multipliedReportingOverflow(by: unit.1)
            let (sum, overflowB) = total.addingReportingOverflow(part)
            guard !overflowA, !overflowB, sum <= 100 * 365 * 86_400_000 else { return nil }  // a century at most
            total = sum
        }
        return total
    }

    /// `Format.duration`.
    public var description: String { Format.duration(millis) }

    /// Shown in help.
    public static var defaultCompletionKind: CompletionKind { .default }
}

/// A point in time on the command line: a duration relative to now (`2h`: two hours ago for
/// `--since`, two hours ahead for `--deadline`), or an ISO-8601 date or time
/// (`2026-11-21`, `2026-11-21T08:00:00Z`, `2026-11-21 08:00`, `2026-11-21T10:00:00+02:00`; no
/// zone means UTC). See ``parseAbsolute(_:)``; anything else is refused (exit 64).
public enum TimeSpec: ExpressibleByArgument, Sendable, Hashable {
    /// Relative to now.
    case relative(Int64)
    /// An absolute time.
    case absolute(EpochMillis)

    /// Parses either form.
    public init?(argument: String) {
        if let millis = DurationSpec.parse(argument) {
            self = .relative(millis)
            return
        }
        guard let time = Self.parseAbsolute(argument.trimmingCharacters(in: .whitespaces)) else { return nil }
        self = .absolute(time)
    }

    /// The absolute forms, parsed exactly (anything else is refused, so a mistyped time is never
    /// silently cut to midnight): `YYYY-MM-DD` (midnight UTC), and `YYYY-MM-DDTHH:MM[:SS[.fff]]`
    /// with `T` or a space, followed by `Z`, a `±HH:MM` offset, or nothing, which means UTC.
    /// Every field is range-checked (month 1–12, the month's days, hour 0–23, minute and second
    /// 0–59); years 2000–2099, the times the outbox accepts.
    static func parseAbsolute(_ text: String) -> EpochMillis? {
        let pattern = /(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?/
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        func number(_ part: Substring?) -> Int64 { part.flatMap { Int64($0) } ?? 0 }
        let (year, month, day) = (number(match.1), number(match.2), number(match.3))
        let (hour, minute, second) = (number(match.4), number(match.5), number(match.6))
        let fraction = match.7.map { Int64($0.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0 } ?? 0
        guard (2000...2099).contains(year), (1...12).contains(month) else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...days[Int(month) - 1]).contains(day), hour <= 23, minute <= 59, second <= 59 else { return nil }
        var offsetMinutes: Int64 = 0
        if let zone = match.8, zone != "Z" {
            let sign: Int64 = zone.hasPrefix("-") ? -1 : 1
            let hours = Int64(zone.dropFirst().prefix(2)) ?? 99
            let minutes = Int64(zone.suffix(2)) ?? 99
            guard hours <= 23, minutes <= 59 else { return nil }
            offsetMinutes = sign * (hours * 60 + minutes)
        }
        // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let epochDays = era * 146_097 + dayOfEra - 719_468
        let seconds = epochDays * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60
        return seconds * 1_000 + fraction
    }

    /// The time meant, for a point in the past (`--since 2h`).
    public func past(now: EpochMillis) -> EpochMillis {
        switch self {
        case .relative(let millis): now - millis
        case .absolute(let time): time
        }
    }

    /// The time meant, for a point in the future (`--deadline 15m`).
    public func future(now: EpochMillis) -> EpochMillis {
        switch self {
        case .relative(let millis): now + millis
        case .absolute(let time): time
        }
    }
}
