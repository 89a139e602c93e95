/// A column of a stored row that holds a value the binary cannot use: text that is not UTF-8, a
/// number where text belongs, text where a number belongs, a time outside ``EpochRange``.
///
/// Rows are read without trapping whatever the database holds (producers in other languages
/// write it): an unusable value becomes a defect, a safe placeholder takes its place, and the
/// worker and the CLI decide what to do with the row. The description never contains the value
/// itself (it may be customer data), only its type and size, or the out-of-range number.
public struct ColumnDefect: Sendable, Hashable, CustomStringConvertible {
    /// The column's name in the schema, e.g. `payload`.
    public var column: String
    /// What is wrong, e.g. `BLOB of 12 bytes that is not UTF-8 text`.
    public var problem: String

    /// Creates a defect.
    public init(column: String, problem: String) {
        self.column = column
        self.problem = problem
    }

    /// `payload: BLOB of 12 bytes that is not UTF-8 text`.
    public var description: String { "\(column): \(problem)" }
}
