import Foundation
import GRDB
import OutboxModel

/// Reads columns of a GRDB row without ever trapping.
///
/// GRDB's typed subscripts (`let s: String = row[0]`) stop the process when a value does not
/// convert (a BLOB that is not UTF-8, text in an INTEGER column) and print the whole row, customer
/// data included. Every read of the outbox goes through this reader instead: an unusable value
/// is replaced by a placeholder and noted in ``defects``.
/// A row type read column by column through ``SafeRowReader``, from the `columns` every engine
/// selects in the same order: a SQLite row and another engine's values read the same way.
protocol SafelyReadRow {
    /// The columns every engine selects, in this order.
    static var columns: String { get }
    /// Reads the values of ``columns``; never traps.
    init(reading reader: SafeRowReader)
}

extension SafelyReadRow {
    /// Reads a SQLite row selected with ``columns``.
    init(row: Row) {
        self.init(reading: SafeRowReader(row, columns: Self.columns))
    }

    /// Reads the values of ``columns`` as another engine stored them (NULL, integers, text).
    init(values: [DatabaseValue]) {
        self.init(reading: SafeRowReader(.values(values), columns: Self.columns))
    }
}

struct SafeRowReader {
    /// Where the values come from: a SQLite row, or the values another engine read (in the
    /// same column order), so one column means the same thing on every engine.
    enum Source {
        case row(Row)
        case values([DatabaseValue])
    }

    let source: Source
    /// The selected columns, as the query names them: split into names only when a defect is
    /// noted. Splitting them for every row read (Foundation's trimming) was ~10 % of the
    /// worker's CPU in a drain (`perf`, 20,000 sales).
    let columns: String
    var defects: [ColumnDefect] = []

    init(_ row: Row, columns: String) {
        self.init(.row(row), columns: columns)
    }

    init(_ source: Source, columns: String) {
        self.source = source
        self.columns = columns
    }

    /// The names of `columns`, in order; `expression AS name` is named `name`.
    var names: [String] {
        columns.split(separator: ",").map {
            let column = $0.trimmingCharacters(in: .whitespacesAndNewlines)
            return column.components(separatedBy: " AS ").last ?? column
        }
    }

    /// The raw value; reading a `DatabaseValue` never fails (a missing column reads as NULL).
    func value(_ index: Int) -> DatabaseValue {
        switch source {
        case .row(let row): row[index] as DatabaseValue
        case .values(let values): index < values.count ? values[index] : .null
        }
    }

    /// Whether the column is NULL.
    func isNull(_ index: Int) -> Bool { value(index).isNull }

    private func name(_ index: Int) -> String {
        let names = names
        return index < names.count ? names[index] : "column \(index)"
    }

    private mutating func note(_ index: Int, _ problem: String) {
        defects.append(ColumnDefect(column: name(index), problem: problem))
    }

    /// Text, or nil when NULL. A BLOB is accepted only if it is valid UTF-8.
    mutating func optionalText(_ index: Int) -> String? {
        switch value(index).storage {
        case .null:
            return nil
        case .string(let text):
            return text
        case .blob(let data):
            if let text = String(validating: data, as: UTF8.self) {
                note(index, "BLOB where text belongs")
                return text
            }
            note(index, "BLOB of \(data.count) bytes that is not UTF-8 text")
            return "<unreadable \(data.count)-byte BLOB>"
        case .int64, .double:
            note(index, "a number where text belongs")
            return "<number>"
        }
    }

    /// Text read as its stored bytes (`CAST(column AS BLOB)`), with `typeof(column)` at
    /// `storageClass`: TEXT must be valid UTF-8 (SQLite stores whatever bytes a producer bound as
    /// text; GRDB would repair them into U+FFFD). NULL and other storage classes are defects, as
    /// in ``text(_:)``.
    mutating func storedText(_ index: Int, storageClass: Int) -> String {
        let type: String
        if case .string(let name) = value(storageClass).storage { type = name } else { type = "null" }
        switch (type, value(index).storage) {
        case ("text", .blob(let bytes)):
            // A NUL: SQLite's text functions and GRDB's text reads stop there, so what was
            // checked, shown or sent before may have been only the part before it (schema 5
            // refuses it at INSERT; older rows may hold one).
            if bytes.contains(0) {
                note(index, "TEXT of \(bytes.count) bytes with a NUL character")
                return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let text = String(validating: bytes, as: UTF8.self) { return text }
            note(index, "TEXT of \(bytes.count) bytes that is not UTF-8")
            return String(decoding: bytes, as: UTF8.self)
        case ("text", .string(let text)):
            return text  // an empty TEXT cast to BLOB may come back as text
        case ("null", _):
            note(index, "NULL where text belongs")
            return ""
        case ("integer", _), ("real", _):
            note(index, "a number where text belongs")
            return "<number>"
        default:
            return text(index)
        }
    }

    /// Text that must be present: NULL is a defect too.
    mutating func text(_ index: Int) -> String {
        if let text = optionalText(index) { return text }
        note(index, "NULL where text belongs")
        return ""
    }

    /// An integer, or nil when NULL. Reals with no fraction are accepted; anything else is a defect.
    mutating func optionalInteger(_ index: Int) -> Int64? {
        switch value(index).storage {
        case .null:
            return nil
        case .int64(let value):
            return value
        case .double(let value):
            if let exact = Int64(exactly: value) { return exact }
            note(index, "a non-integer number where an integer belongs")
            return nil
        case .string:
            note(index, "text where an integer belongs")
            return nil
        case .blob(let data):
            note(index, "BLOB of \(data.count) bytes where an integer belongs")
            return nil
        }
    }

    /// An integer that must be present, `fallback` when it is not.
    mutating func integer(_ index: Int, fallback: Int64 = 0) -> Int64 {
        if let value = optionalInteger(index) { return value }
        if value(index).isNull { note(index, "NULL where an integer belongs") }
        return fallback
    }

    /// A small count (generation, attempts), bounded to `Int` range.
    mutating func count(_ index: Int, fallback: Int = 0) -> Int {
        let value = integer(index, fallback: Int64(fallback))
        guard let small = Int(exactly: value), small >= 0, small <= 1_000_000_000 else {
            note(index, "\(value) is not a count")
            return fallback
        }
        return small
    }

    /// A time a producer wrote (created_at, not_before, deadline): inside ``EpochRange``.
    mutating func optionalProducerTime(_ index: Int) -> EpochMillis? {
        guard let value = optionalInteger(index) else { return nil }
        guard EpochRange.isProducerTime(value) else {
            note(index, "\(value) is not milliseconds since the Unix epoch between 2000 and 2100")
            return nil
        }
        return value
    }

    /// A time the worker wrote: 0 up to the end of ``EpochRange``.
    mutating func optionalWorkerTime(_ index: Int) -> EpochMillis? {
        guard let value = optionalInteger(index) else { return nil }
        guard EpochRange.isWorkerTime(value) else {
            note(index, "\(value) is not milliseconds since the Unix epoch before 2100")
            return nil
        }
        return value
    }
}
