import Foundation

/// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests that
/// scrape `/metrics`: every line must be a `# HELP`, a `# TYPE`, another comment, or a sample
/// `name{label="value",...} value [timestamp]`, with the format's escapes only; a family's
/// `# TYPE` comes before its samples and at most once; a family's samples are contiguous; no
/// series appears twice; histogram buckets are cumulative and end with `le="+Inf"` equal to
/// `_count`. Anything else throws, naming the line.
public struct PrometheusText: Sendable {
    /// One sample line.
    public struct Sample: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// A metric family: its declared type and help.
    public struct Family: Sendable, Hashable {
        public var type: String?
        public var help: String?
    }

    /// The samples, in order.
    public private(set) var samples: [Sample] = []
    /// The families by name.
    public private(set) var families: [String: Family] = [:]

    /// The problem with a line.
    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var text: String
        public var problem: String
        public var description: String { "line \(line): \(problem): \(text)" }
    }

    /// Parses `text`; throws ``ParseError`` at the first line that breaks the format.
    public init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else {
            throw ParseError(line: 0, text: String(text.suffix(40)), problem: "the text must end with a line feed")
        }
        var seenFamilies: [String] = []
        var series = Set<String>()
        var sampleNames = Set<String>()
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let line = String(rawLine)
            func fail(_ problem: String) -> ParseError { ParseError(line: index + 1, text: line, problem: problem) }
            if line.isEmpty { continue }  // the format ignores empty lines
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 2, parts[0] == "#" else { continue }  // a plain comment
                if parts[1] == "HELP" || parts[1] == "TYPE" {
                    guard parts.count >= 3, Self.isMetricName(parts[2]) else { throw fail("bad metric name") }
                    let name = parts[2]
                    let rest = parts.count == 4 ? parts[3] : ""
                    if seenFamilies.contains(name) && current != name {
                        throw fail("family \(name) appears again after another family")
                    }
                    var family = families[name] ?? Family()
                    if parts[1] == "HELP" {
                        guard family.help == nil else { throw fail("second HELP") }
                        guard Self.validHelpEscapes(rest) else { throw fail("bad escape in HELP") }
                        family.help = rest
                    } else {
                        guard family.type == nil else { throw fail("second TYPE") }
                        guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else {
                            throw fail("unknown type")
                        }
                        guard ["", "_bucket", "_sum", "_count"].allSatisfy({ !sampleNames.contains(name + $0) }) else {
                            throw fail("TYPE after samples")
                        }
                        family.type = rest
                    }
                    families[name] = family
                    if !seenFamilies.contains(name) { seenFamilies.append(name) }
                    current = name
                }
                continue
            }
            let sample: Sample
            do { sample = try Self.sample(line) } catch let problem as LineProblem { throw fail(problem.text) }
            sampleNames.insert(sample.name)
            let family = Self.family(of: sample.name, in: families)
            if family != current {
                if seenFamilies.contains(family) { throw fail("samples of \(family) are not contiguous") }
                seenFamilies.append(family)
                current = family
            }
            let identity = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",") + "}"
            guard series.insert(identity).inserted else { throw fail("duplicate series") }
            samples.append(sample)
        }
        try checkHistograms()
    }

    /// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it.
    static func family(of name: String, in families: [String: Family]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if families[base]?.type == "histogram" || families[base]?.type == "summary" { return base }
        }
        return name
    }

    private func checkHistograms() throws {
        for (name, family) in families where family.type == "histogram" {
            var groups: [String: [(le: Double, count: Double)]] = [:]
            var counts: [String: Double] = [:]
            for sample in samples {
                var others = sample.labels
                others["le"] = nil
                let key = others.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                if sample.name == name + "_bucket" {
                    guard let text = sample.labels["le"], let le = Self.number(text) else {
                        throw ParseError(line: 0, text: name, problem: "bucket without a numeric le")
                    }
                    groups[key, default: []].append((le, sample.value))
                } else if sample.name == name + "_count" {
                    counts[key] = sample.value
                } else if sample.name == name {
                    throw ParseError(line: 0, text: name, problem: "a histogram sample without a suffix")
                }
            }
            for (key, buckets) in groups {
                guard buckets.last?.le == .infinity else {
                    throw ParseError(line: 0, text: "\(name){\(key)}", problem: "buckets do not end with +Inf")
                }
                for (lower, upper) in zip(buckets, buckets.dropFirst()) where lower.le >= upper.le || lower.count > upper.count {
                    throw ParseError(line: 0, text: "\(name){\(key)}", problem: "buckets not increasing and cumulative")
                }
                guard counts[key] == buckets.last?.count else {
                    throw ParseError(line: 0, text: "\(name){\(key)}", problem: "+Inf bucket differs from _count")
                }
            }
        }
    }

    /// The value of the series `name` with exactly `labels`, if present.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    // MARK: - Lexing

    static func isMetricName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII,
            first.properties.isAlphabetic || first == "_" || first == ":"
        else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ":")
        }
    }

    static func isLabelName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
        }
    }

    static func validHelpEscapes(_ text: String) -> Bool {
        var escaped = false
        for character in text {
            if escaped {
                guard character == "\\" || character == "n" else { return false }
                escaped = false
            } else if character == "\\" {
                escaped = true
            }
        }
        return !escaped
    }

    /// A Go `ParseFloat` number as the format allows: decimal or exponent notation, `+Inf`,
    /// `-Inf`, `NaN`.
    static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else {
                return nil
            }
            return Double(text)
        }
    }

    /// One sample line; throws ``LineProblem`` naming the problem.
    static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = rest.prefix { $0 != "{" && $0 != " " }
        guard isMetricName(String(name)) else { throw LineProblem("bad metric name") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix { $0 != "=" }
                guard isLabelName(String(labelName)) else { throw LineProblem("bad label name") }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw LineProblem("label value not quoted") }
                rest = rest.dropFirst(2)
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let next = rest.first else { throw LineProblem("unfinished escape") }
                        rest = rest.dropFirst()
                        switch next {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw LineProblem("bad escape in a label value")
                        }
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw LineProblem("unterminated label value") }
                guard labels.updateValue(value, forKey: String(labelName)) == nil else { throw LineProblem("repeated label") }
                if rest.first == "," {
                    rest = rest.dropFirst()
                } else if rest.first != "}" {
                    throw LineProblem("expected , or } after a label")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw LineProblem("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = number(String(fields[0])) else { throw LineProblem("bad value") }
        if fields.count == 2 {
            guard Int64(fields[1]) != nil else { throw LineProblem("bad timestamp") }
        }
        return Sample(name: String(name), labels: labels, value: value)
    }
}

/// What is wrong with a sample line.
struct LineProblem: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
