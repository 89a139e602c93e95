import Foundation
import OutboxModel

/// Reads an HTTP `Retry-After` header: delay-seconds (`120`) or an HTTP-date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, also the obsolete RFC 850 and asctime forms).
public enum RetryAfter {
    /// The delay from `now`, or `nil` when the header is absent or unreadable. Dates in the past
    /// give zero.
    public static func delay(_ header: String?, now: EpochMillis) -> Duration? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if header.allSatisfy(\.isASCII), header.allSatisfy(\.isNumber) {
            guard let seconds = Int64(header) else { return nil }
            return .seconds(seconds)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            let text = format.hasPrefix("EEE MMM") ? header.split(separator: " ").joined(separator: " ") : header
            if let date = formatter.date(from: text) {
                let millis = EpochMillis((date.timeIntervalSince1970 * 1000).rounded()) - now
                return .milliseconds(max(0, millis))
            }
        }
        return nil
    }
}
