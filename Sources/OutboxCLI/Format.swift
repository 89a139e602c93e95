import Foundation
import OutboxModel
import OutboxStore

/// Pure text formatting: times, ages, widths, colour.
public enum Format {
    /// UTC ISO-8601 with milliseconds: `2026-11-21T09:10:00.123Z`.
    public static func iso(_ millis: EpochMillis) -> String {
        let seconds = Int64(floor(Double(millis) / 1000))
        let ms = Int(millis - seconds * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms)
    }

    /// UTC ISO-8601 to the second, for tables: `2026-11-21T09:10:00Z`.
    public static func isoShort(_ millis: EpochMillis) -> String {
        let full = iso(millis)
        return String(full.prefix(19)) + "Z"
    }

    /// A duration as its two largest units: `850ms`, `42s`, `3m12s`, `2h05m`, `3d04h`.
    public static func duration(_ millis: Int64) -> String {
        let value = abs(millis)
        if value < 1000 { return "\(value)ms" }
        let seconds = value / 1000
        if seconds < 60 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes)m\(String(format: "%02d", seconds % 60))s" }
        let hours = minutes / 60
        if hours < 24 { return "\(hours)h\(String(format: "%02d", minutes % 60))m" }
        return "\(hours / 24)d\(String(format: "%02d", hours % 24))h"
    }

    /// How long ago `time` was at `now` (`3m12s ago`), or how far ahead (`in 12s`).
    public static func relative(_ time: EpochMillis, now: EpochMillis) -> String {
        time <= now ? "\(duration(now - time)) ago" : "in \(duration(time - now))"
    }

    /// A size in bytes with a binary unit: `812 B`, `4.0 KiB`, `109.2 MiB`, `1.5 GiB`.
    public static func bytes(_ value: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard value >= 1_024 else { return "\(value) B" }
        var unit = 0
        var scaled = Double(value) / 1_024
        while scaled >= 1_024 && unit < units.count - 1 {
            scaled /= 1_024
            unit += 1
        }
        return String(format: "%.1f %@", scaled, units[unit])
    }

    /// `time` as ISO plus relative: `2026-11-21T09:10:00.123Z (3m12s ago)`.
    public static func stamp(_ time: EpochMillis?, now: EpochMillis) -> String {
        guard let time else { return "-" }
        return "\(iso(time)) (\(relative(time, now: now)))"
    }

    /// Cuts `text` to `width` characters, ending with `…` when cut.
    public static func fit(_ text: String, _ width: Int) -> String {
        let single = text.replacingOccurrences(of: "\n", with: " ")
        guard single.count > width else { return single }
        guard width > 1 else { return String(single.prefix(width)) }
        return String(single.prefix(width - 1)) + "…"
    }

    /// Pads or cuts `text` to exactly `width` characters.
    public static func cell(_ text: String, _ width: Int, rightAligned: Bool = false) -> String {
        let cut = fit(text, width)
        let pad = String(repeating: " ", count: max(0, width - cut.count))
        return rightAligned ? pad + cut : cut + pad
    }

    /// Lays out rows as columns separated by two spaces. Every column gets its widest cell,
    /// capped so the line fits `totalWidth`; the `flexible` column (the last by default) takes
    /// what is left and is cut with `…`.
    public static func table(
        header: [String], rows: [[String]], totalWidth: Int = 80, flexible: Int? = nil, rightAligned: Set<Int> = [],
        indent: Int = 0
    ) -> [String] {
        let columns = header.count
        let flex = flexible ?? columns - 1
        var widths = (0..<columns).map { column in
            ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        let fixed = widths.enumerated().filter { $0.offset != flex }.map(\.element).reduce(0, +)
        let available = totalWidth - indent - fixed - 2 * (columns - 1)
        widths[flex] = max(4, min(widths[flex], available))
        let pad = String(repeating: " ", count: indent)
        return ([header] + rows).map { row in
            let cells = (0..<columns).map { column in
                cell(row.indices.contains(column) ? row[column] : "", widths[column], rightAligned: rightAligned.contains(column))
            }
            var line = pad + cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// Wraps `words` joined by `separator` into lines of at most `width`, continuation lines
    /// indented by `indent` spaces.
    public static func wrap(_ items: [String], separator: String = ", ", width: Int = 80, first: String, indent: Int)
        -> [String]
    {
        var lines: [String] = []
        var current = first
        let pad = String(repeating: " ", count: indent)
        for (index, item) in items.enumerated() {
            let piece = item + (index < items.count - 1 ? separator.trimmingCharacters(in: .whitespaces) : "")
            let joiner = current.hasSuffix(" ") || current == pad || current.isEmpty ? "" : " "
            if current.count + joiner.count + piece.count > width && current.trimmingCharacters(in: .whitespaces).count
                > first.trimmingCharacters(in: .whitespaces).count
            {
                lines.append(current)
                current = pad + piece
            } else {
                current += joiner + piece
            }
        }
        lines.append(current)
        return lines
    }
}

/// ANSI colour, or none.
public struct Palette: Sendable {
    /// Whether colour is on.
    public var enabled: Bool

    /// Creates a palette.
    public init(enabled: Bool) { self.enabled = enabled }

    func paint(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Bold.
    public func bold(_ text: String) -> String { paint(text, "1") }
    /// Red, for trouble.
    public func bad(_ text: String) -> String { paint(text, "31") }
    /// Yellow, for attention.
    public func warn(_ text: String) -> String { paint(text, "33") }
    /// Green, for good.
    public func good(_ text: String) -> String { paint(text, "32") }
    /// Dim, for hints.
    public func dim(_ text: String) -> String { paint(text, "2") }

    /// A state name, coloured by how it ended.
    public func state(_ state: String) -> String {
        switch state {
        case "dead", "failed": bad(state)
        case "expired", "discarded", "revoked": warn(state)
        case "succeeded": good(state)
        default: state
        }
    }
}
