import Foundation
import Logging
import OutboxModel

/// One line per event on stderr: `timestamp level message key=value ...` with the metadata keys
/// sorted, values quoted when they contain spaces, quotes or `=`, and newlines escaped, so
/// every event is one line that `grep` and log shippers can split:
///
///     2026-11-21T09:30:01.234Z info "Command finished" outbox.command.id=12 outbox.outcome=succeeded
struct StructuredLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = Self.merged(metadata, provider: metadataProvider, event: event)
        var line = "\(Self.timestamp()) \(event.level.rawValue) \(Self.quoted(event.message.description, always: true))"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(Self.quoted(Self.render(value), always: false))"
        }
        line += "\n"
        Self.write(line)
    }

    /// What an event logs: the handler's metadata, then the provider's, then the event's own
    /// (later wins), and its error under `error`. Both formats (text and JSON) log this.
    static func merged(
        _ metadata: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent
    ) -> Logger.Metadata {
        var merged = metadata
        if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        return merged
    }

    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(render).joined(separator: ",") + "]"
        case .dictionary(let values):
            "{" + values.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\(render($0.value))" }.joined(separator: ",")
                + "}"
        }
    }

    /// Quotes (with `\"`, `\\`, `\n`, `\r`, `\t` escapes) when needed, or always.
    static func quoted(_ text: String, always: Bool) -> String {
        let needsQuotes =
            always || text.isEmpty
            || text.unicodeScalars.contains {
                $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
            }
        guard needsQuotes else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Now, as UTC ISO-8601 with milliseconds (``ISOTime``: integer arithmetic, no formatter).
    static func timestamp() -> String {
        ISOTime.now()
    }

    /// One `write(2)` per line on stderr, serialised, so lines from concurrent tasks never
    /// interleave; a line that cannot be written is dropped, never a crash (``LineWriter``).
    static func write(_ line: String) {
        LineWriter.write(line, to: STDERR_FILENO)
    }
}
