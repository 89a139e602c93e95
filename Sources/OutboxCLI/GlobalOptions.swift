import ArgumentParser
import Foundation
import OutboxStore

/// Flags every `outbox` command takes.
public struct GlobalOptions: ParsableArguments, Sendable {
    /// The database: a SQLite file, or a `postgres://` URL; default `$OUTBOX_DB`, else `./outbox.sqlite`.
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The outbox database: a SQLite file, or postgres://user@host:port/db (password from PGPASSWORD or the file OUTBOX_DB_PASSWORD_FILE names, never in the URL) (default: $OUTBOX_DB, else ./outbox.sqlite).",
            valueName: "path|url"))
    public var db: String?

    /// Machine-readable output.
    @Flag(name: .long, help: "Print one JSON object (stable shape, sorted keys) instead of text.")
    public var json = false

    /// No ANSI colour.
    @Flag(name: .long, help: "No colour (also when NO_COLOR is set or stdout is not a terminal).")
    public var noColor = false

    /// How long to wait for a lock.
    @Option(
        name: .long,
        help: ArgumentHelp("Seconds to wait for a database lock before giving up (exit 4).", valueName: "seconds"))
    public var busyTimeout: Double = 5

    /// Creates the defaults.
    public init() {}

    /// Validates the values.
    public func validate() throws {
        guard busyTimeout >= 0 && busyTimeout <= 600 else {
            throw ValidationError("--busy-timeout must be between 0 and 600 seconds")
        }
    }

    /// The database path to use in `environment`.
    public func databasePath(environment: [String: String]) -> String {
        if let db, !db.isEmpty { return db }
        if let fromEnv = environment["OUTBOX_DB"], !fromEnv.isEmpty { return fromEnv }
        return "./outbox.sqlite"
    }

    /// Whether to colour output on `console`.
    public func useColor(_ console: Console) -> Bool {
        if json || noColor || !console.stdoutIsTerminal { return false }
        if let value = console.environment["NO_COLOR"], !value.isEmpty { return false }
        if console.environment["TERM"] == "dumb" { return false }
        return true
    }

    /// Runs a command body with the store opened for `access` (``withStore(_:_:_:)``), turning
    /// every error into a message on stderr and an exit status.
    func run(
        _ console: Console, _ access: StoreAccess, _ body: (any OperatorStore, Console) async throws -> Void
    ) async throws {
        try await report(console, json: json) { try await withStore(console, access, body) }
    }
}

/// `--yes` for repairs.
public struct ConfirmOptions: ParsableArguments, Sendable {
    /// Skip the question.
    @Flag(name: [.customShort("y"), .long], help: "Do it without asking (required when stdin is not a terminal).")
    public var yes = false

    /// Creates the defaults.
    public init() {}
}

/// Runs a command body, turning every error into a message on stderr and an exit status.
func report(_ console: Console, json: Bool, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = CLIError.from(error)
        if json {
            console.line(
                Render.json(
                    ErrorJSON(error: ErrorJSON.Body(
                        status: failure.status.rawValue, message: failure.message, details: failure.details))))
        }
        console.note("outbox: \(failure.message)")
        for detail in failure.details { console.note("  \(detail)") }
        throw ExitCode(failure.status.rawValue)
    }
}

/// Asks "y/N" on the terminal; refuses without one unless `--yes`.
func confirm(_ question: String, options: ConfirmOptions, console: Console) throws {
    if options.yes { return }
    guard console.stdinIsTerminal else {
        throw CLIError(.declined, "not confirmed: stdin is not a terminal; add --yes to do it from a script")
    }
    console.err("\(question) [y/N] ")
    let answer = (console.readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    guard answer == "y" || answer == "yes" else { throw CLIError(.declined, "not confirmed; nothing changed") }
}
