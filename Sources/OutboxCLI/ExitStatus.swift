
import OutboxStore
import PaywallClient

/// The exit codes of `outbox`, stable for scripts (docs/operator-guide.md lists them).
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Done (for `inspect`: the read succeeded, whatever it found).
    case ok = 0
    /// Something unexpected failed (an I/O error, a damaged file). The message says what.
    case failure = 1
    /// Not found: the database file is missing, or no command matches the reference.
    case notFound = 2
    /// Refused: the command's state does not allow the repair, or the input failed validation
    /// (by this CLI, the worker's validator or the database). Nothing was changed.
    case refused = 3
    /// The database stayed locked longer than `--busy-timeout`. Nothing was changed; try again.
    case busy = 4
    /// Schema mismatch: the file is newer than this binary (upgrade it) or older (run
    /// `outbox migrate`).
    case schema = 5
    /// The reference matches several commands; the candidates are listed. Use a row id.
    case ambiguous = 6
    /// A repair was not confirmed (answered no, or no terminal and no `--yes`). Nothing changed.
    case declined = 10
    /// Bad usage: unknown flag, missing argument, invalid value (ArgumentParser's EX_USAGE).
    case usage = 64

    /// One line for `--help` and the docs.
    public var meaning: String {
        switch self {
        case .ok: "success"
        case .failure: "unexpected failure (I/O, damaged file)"
        case .notFound: "database or command not found"
        case .refused: "refused: state or validation; nothing changed"
        case .busy: "database locked past --busy-timeout; nothing changed"
        case .schema: "schema too new (upgrade) or too old (outbox migrate)"
        case .ambiguous: "reference matches several commands"
        case .declined: "repair not confirmed; nothing changed"
        case .usage: "bad usage (unknown flag, bad value)"
        }
    }

    /// The exit-code table shown in `outbox --help`.
    public static var helpTable: String {
        allCases.map { "  \(String($0.rawValue).padding(toLength: 3, withPad: " ", startingAt: 0)) \($0.meaning)" }
            .joined(separator: "\n")
    }
}

/// An error the CLI reports as one line on stderr and an exit status.
public struct CLIError: Error, Sendable, CustomStringConvertible {
    /// The exit status.
    public var status: ExitStatus
    /// The message, for people.
    public var message: String
    /// Extra lines (e.g. ambiguous candidates), printed after the message.
    public var details: [String]

    /// Creates an error.
    public init(_ status: ExitStatus, _ message: String, details: [String] = []) {
        self.status = status
        self.message = message
        self.details = details
    }

    /// The message.
    public var description: String { message }

    /// Maps any error from the store, the validator or the CLI to a `CLIError`.
    public static func from(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as RepairError:
            switch error.code {
            case .notFound: return CLIError(.notFound, error.message)
            case .wrongState, .inFlight, .mayHaveBeenSent: return CLIError(.refused, error.message)
            }
        case let error as OutboxStoreError:
            switch error.code {
            case .notFound: return CLIError(.notFound, error.message)
            case .rejected: return CLIError(.refused, "the database refused it: \(error.message)")
            case .busy: return CLIError(.busy, error.message + " (workers hold it; try again, or raise --busy-timeout)")
            case .schemaTooNew, .schemaTooOld: return CLIError(.schema, error.message)
            case .corruptRow, .sqlite, .postgres: return CLIError(.failure, error.message)
            }
        case let error as PaywallClient.ValidationError:
            return CLIError(.refused, "invalid \(error.field.isEmpty ? "payload" : error.field): \(error.description)")
        default:
            return CLIError(.failure, String(describing: error))
        }
    }
}
