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
            total += number * unit.1
        }
        return total
    }

    /// `Format.duration`.
    public var description: String { Format.duration(millis) }

    /// Shown in help.
    public static var defaultCompletionKind: CompletionKind { .default }
}

/// A point in time on the command line: a duration relative to now (`2h`: two hours ago for
/// `--since`, two hours ahead for `--deadline`), or UTC ISO-8601 (`2026-11-21T08:00:00Z`,
/// `2026-11-21`).
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
        let text = argument.trimmingCharacters(in: .whitespaces)
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) {
                self = .absolute(EpochMillis((date.timeIntervalSince1970 * 1000).rounded()))
                return
            }
        }
        return nil
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
