import Foundation

/// A value as a producer binds it through SQLite's C API.
enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    /// INTEGER milliseconds: the wall clock when the row is written, plus this offset.
    case msFromNow(Int64)
    /// REAL, as text Python's `float()` reads (`1.5`, `inf`, `-0.0`).
    case real(String)
    /// TEXT (any Unicode, NULs included).
    case text(String)
    /// TEXT holding exactly these bytes, which need not be UTF-8 (a BLOB CAST to TEXT).
    case textBytes([UInt8])
    case blob([UInt8])

    var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): "\(value)"
        case .msFromNow(let offset): offset >= 0 ? "now+\(offset)ms" : "now\(offset)ms"
        case .real(let text): "REAL \(text)"
        case .text(let text): "'\(Self.abbreviate(text))'"
        case .textBytes(let bytes): "CAST(X'\(Self.hex(bytes.prefix(48)))\(bytes.count > 48 ? "…" : "")' AS TEXT) (\(bytes.count) bytes)"
        case .blob(let bytes): "X'\(Self.hex(bytes.prefix(48)))\(bytes.count > 48 ? "…" : "")' (\(bytes.count) bytes)"
        }
    }

    /// Long text shortened, control and invisible characters shown as escapes.
    static func abbreviate(_ text: String, limit: Int = 120) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            let visible = scalar.value >= 0x20 && scalar.value != 0x7F
                && !(0x200B...0x200F).contains(scalar.value) && !(0x202A...0x202E).contains(scalar.value)
                && !(0x2066...0x2069).contains(scalar.value) && scalar.value != 0xFEFF
            shown += visible ? String(scalar) : String(format: "\\u{%X}", scalar.value)
        }
        let count = text.unicodeScalars.count
        return count > limit ? shown + "… (\(text.utf8.count) bytes)" : shown
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    /// The writer's JSON form, times resolved at `now`.
    func wire(now: Int64) -> [String: String] {
        switch self {
        case .null: ["t": "null"]
        case .integer(let value): ["t": "int", "v": String(value)]
        case .msFromNow(let offset): ["t": "int", "v": String(now + offset)]
        case .real(let text): ["t": "real", "v": text]
        case .text(let text): ["t": "text", "v": text]
        case .textBytes(let bytes): ["t": "text_hex", "v": Self.hex(bytes)]
        case .blob(let bytes): ["t": "blob", "v": Self.hex(bytes)]
        }
    }
}

/// How the producer's statement handles a conflict on `command_key`.
enum InsertVerb: String, Sendable, Hashable, CaseIterable {
    case insert
    case onConflictDoNothing = "on_conflict_do_nothing"
    case insertOrIgnore = "insert_or_ignore"
    /// Would delete the row it conflicts with without firing delete triggers (SQLite's REPLACE
    /// runs them only with recursive_triggers on); schema 5 refuses or ignores it first (see
    /// ``RowFuzzTests/oneCommandPerKey(verb:)``).
    case insertOrReplace = "insert_or_replace"
}

/// One INSERT a producer might write, and what the generator meant by it.
struct FuzzRow: Sendable, CustomStringConvertible {
    var verb: InsertVerb = .insert
    /// Columns in statement order; a column left out takes its DEFAULT.
    var columns: [(name: String, value: SQLValue)] = []
    /// What the generator chose (for failure messages and the summary).
    var notes: [String] = []
    /// A well-formed sale that must end `succeeded`, written between the random rows.
    var isControlSale = false

    func value(_ name: String) -> SQLValue? { columns.last { $0.name == name }?.value }

    mutating func set(_ name: String, _ value: SQLValue?) {
        columns.removeAll { $0.name == name }
        if let value { columns.append((name, value)) }
    }

    var description: String {
        let cols = columns.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        let what = notes.isEmpty ? "" : " [\(notes.joined(separator: "; "))]"
        return "\(verb.rawValue) (\(cols))\(what)"
    }

    /// One line for `Tests/Fixtures/sqlite_row_writer.py`.
    func request(now: Int64) throws -> Data {
        let object: [String: Any] = [
            "verb": verb.rawValue,
            "columns": columns.map { [$0.name, $0.value.wire(now: now)] as [Any] },
        ]
        var data = try JSONSerialization.data(withJSONObject: object, options: [])
        data.append(0x0A)
        return data
    }
}

/// What the writer answered for one row.
struct WriteResult: Sendable, Decodable, CustomStringConvertible {
    var ok: Bool
    /// The row id when a row was stored; nil when refused or skipped (OR IGNORE, DO NOTHING).
    var id: Int64?
    var error: String?
    /// SQLite's extended result code name, e.g. `SQLITE_CONSTRAINT_TRIGGER`.
    var name: String?

    var description: String {
        ok ? (id.map { "stored as id \($0)" } ?? "skipped (no row)") : "refused: \(name ?? "?") \(error ?? "")"
    }
}
