import Foundation
import OutboxModel

/// Reads an HTTP `Retry-After` header: delay-seconds (`120`) or an HTTP-date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, also the obsolete RFC 850 and asctime forms).
public enum RetryAfter {
    /// The longest delay honoured: one hour. A larger value (or a date further ahead) is read as
    /// an hour, so no header can freeze sending for days or overflow a time computation.
    public static let maximum = Duration.seconds(3_600)

    /// The delay from `now`, at most ``maximum``, or `nil` when the header is absent or
    /// unreadable. Dates in the past give zero.
    public static func delay(_ header: String?, now: EpochMillis) -> Duration? {
        parse(header, now: now).map { min($0, maximum) }
    }

    static func parse(_ header: String?, now: EpochMillis) -> Duration? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if header.allSatisfy(\.isASCII), header.allSatisfy(\.isNumber) {
            // Digits beyond Int64 still mean "a very long time".
            return .seconds(Int64(header) ?? Int64.max / 1_000_000)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            let text = format.hasPrefix("EEE MMM") ? header.split(separator: " ").joined(separator: " ") : header
            if let date = formatter.date(from: text) {
                let seconds = min(max(date.timeIntervalSince1970 - Double(now) / 1000, 0), 3_600)
                return .milliseconds(Int64((seconds * 1000).rounded()))
            }
        }
        return nil
    }
}
