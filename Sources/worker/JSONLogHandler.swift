import Foundation
import Logging

/// `--log-format json`: one JSON object per line on stderr, for log aggregators (Loki, Elastic,
/// journald's JSON export, `jq`). The object holds `timestamp` (UTC ISO-8601 with milliseconds,
/// as in the text format), `level`, `message`, `label` (the logger's label: `worker`,
/// `paywall-sim`, ...) and every metadata key of the text format at the top level, spelt the same
/// (`outbox.command.id`, `outbox.outcome`, `config.lease`, ...), keys sorted:
///
///     {"label":"worker","level":"info","message":"Command finished","outbox.command.id":"12",...}
///
/// Values are JSON strings (nested metadata becomes arrays and objects). A metadata key equal to
/// one of the four fixed names is written as `metadata.<key>` so it never hides them. What is
/// logged is exactly what the text format logs: secrets never reach a logger (the configuration
/// summary carries `<redacted>`), so they cannot appear here either.
struct JSONLogHandler: LogHandler {
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

    /// The names every line has; metadata never overwrites them.
    static let fixedKeys: Set<String> = ["timestamp", "level", "message", "label"]

    func log(event: LogEvent) {
        let merged = StructuredLogHandler.merged(metadata, provider: metadataProvider, event: event)
        StructuredLogHandler.write(
            Self.line(
                timestamp: StructuredLogHandler.timestamp(), level: event.level, message: event.message.description,
                label: label, metadata: merged))
    }

    /// One JSON object and a newline. Pure, for tests.
    static func line(
        timestamp: String, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata
    ) -> String {
        var object: [String: Value] = [
            "timestamp": .string(timestamp), "level": .string(level.rawValue), "message": .string(message),
            "label": .string(label),
        ]
        for (key, value) in metadata {
            object[fixedKeys.contains(key) ? "metadata.\(key)" : key] = Value(value)
        }
        let encoder = JSONEncoder()
        // Sorted keys: a stable line for grep and diff. No pretty printing: one event, one line
        // (newlines inside values are escaped as \n by the encoder).
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else {
            return #"{"level":"error","message":"log line could not be encoded as JSON"}"# + "\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A metadata value as JSON: text stays text (as the text format prints it).
    enum Value: Encodable {
        case string(String)
        case array([Value])
        case object([String: Value])

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let text): self = .string(text)
            case .stringConvertible(let convertible): self = .string(convertible.description)
            case .array(let values): self = .array(values.map(Value.init))
            case .dictionary(let values): self = .object(values.mapValues(Value.init))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .array(let values): try container.encode(values)
            case .object(let values): try container.encode(values)
            }
        }
    }
}
