import Foundation

/// The one table `outbox-bench outside` prints: sections of rows, each a measure, its value
/// (median of the repeats), what it is compared with, and the ratio.
struct Report {
    struct Row {
        var measure: String
        var value: String
        var reference: String = ""
        var ratio: String = ""
    }

    struct Section {
        var title: String
        var rows: [Row] = []
        var notes: [String] = []

        mutating func add(_ measure: String, _ value: String, reference: String = "", ratio: String = "") {
            rows.append(Row(measure: measure, value: value, reference: reference, ratio: ratio))
        }

        mutating func note(_ text: String) { notes.append(text) }
    }

    var header: [String] = []
    var sections: [Section] = []

    func render() -> String {
        let measureWidth = max(44, sections.flatMap(\.rows).map { $0.measure.count }.max() ?? 0)
        let valueWidth = max(16, sections.flatMap(\.rows).map { $0.value.count }.max() ?? 0)
        let referenceWidth = max(22, sections.flatMap(\.rows).map { $0.reference.count }.max() ?? 0)
        var lines = header
        lines.append("")
        lines.append(
            pad("measure", measureWidth) + "  " + pad("ours (median)", valueWidth) + "  "
                + pad("compared with", referenceWidth) + "  ratio")
        lines.append(String(repeating: "-", count: measureWidth + valueWidth + referenceWidth + 14))
        for section in sections {
            lines.append(section.title)
            for row in section.rows {
                lines.append(
                    "  " + pad(row.measure, measureWidth - 2) + "  " + padLeft(row.value, valueWidth) + "  "
                        + pad(row.reference, referenceWidth) + "  " + row.ratio)
            }
            for note in section.notes { lines.append("    · " + note) }
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

/// The median of some numbers (nil when there are none).
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The p-th percentile (0...1, nearest rank) of some numbers.
func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Formatting helpers for the table.
enum Fmt {
    static func rate(_ value: Double?) -> String { value.map { String(format: "%.0f /s", $0) } ?? "–" }
    static func ms(_ value: Double?, digits: Int = 2) -> String {
        value.map { String(format: "%.\(digits)f ms", $0) } ?? "–"
    }
    static func mb(_ bytes: Double?) -> String { bytes.map { String(format: "%.1f MB", $0 / 1_048_576) } ?? "–" }
    static func percent(_ value: Double?, digits: Int = 2) -> String {
        value.map { String(format: "%.\(digits)f %%", $0) } ?? "–"
    }
    static func ratio(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, b != 0 else { return "–" }
        return String(format: "%.2f×", a / b)
    }
    static func number(_ value: Double?, digits: Int = 1) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "–"
    }
    /// "median (min–max)" of the repeats, so the spread is visible.
    static func spread(_ values: [Double], _ format: (Double) -> String) -> String {
        guard let middle = median(values) else { return "–" }
        guard values.count > 1, let low = values.min(), let high = values.max() else { return format(middle) }
        return "\(format(middle)) [\(format(low).split(separator: " ").first ?? "")–\(format(high).split(separator: " ").first ?? "")]"
    }
}
