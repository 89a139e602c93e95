import Foundation
import OutboxModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's surroundings, injected so commands run the same in tests: output streams,
/// stdin, environment, terminal facts and the clock.
public struct Console: Sendable {
    /// Writes to stdout.
    public var out: @Sendable (String) -> Void
    /// Writes to stderr.
    public var err: @Sendable (String) -> Void
    /// Reads one line from stdin (nil at end of input).
    public var readLine: @Sendable () -> String?
    /// Whether stdin is a terminal (confirmation prompts need one).
    public var stdinIsTerminal: Bool
    /// Whether stdout is a terminal (colour needs one).
    public var stdoutIsTerminal: Bool
    /// The environment.
    public var environment: [String: String]
    /// The clock.
    public var clock: any WallClock

    /// Creates a console.
    public init(
        out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
        readLine: @escaping @Sendable () -> String?, stdinIsTerminal: Bool, stdoutIsTerminal: Bool,
        environment: [String: String], clock: any WallClock
    ) {
        self.out = out
        self.err = err
        self.readLine = readLine
        self.stdinIsTerminal = stdinIsTerminal
        self.stdoutIsTerminal = stdoutIsTerminal
        self.environment = environment
        self.clock = clock
    }

    /// The real process.
    public static var live: Console {
        Console(
            out: { text in
                // Output that cannot be written (stdout closed, a full disk under a redirect) stops
                // the command with status 1 and says why, instead of trapping in FileHandle.
                if let failure = LineWriter.write(text, to: STDOUT_FILENO) {
                    LineWriter.write(
                        "outbox: cannot write the output: \(String(cString: strerror(failure)))\n", to: STDERR_FILENO)
                    exit(ExitStatus.failure.rawValue)
                }
            },
            err: { text in LineWriter.write(text, to: STDERR_FILENO) },
            readLine: { Swift.readLine(strippingNewline: true) },
            stdinIsTerminal: isatty(0) == 1, stdoutIsTerminal: isatty(1) == 1,
            environment: ProcessInfo.processInfo.environment, clock: SystemWallClock())
    }

    /// Who is acting, for the audit table: `$SUDO_USER` (the human behind sudo), else `$USER`,
    /// `$LOGNAME`, else the uid.
    public var actor: String {
        for name in ["SUDO_USER", "USER", "LOGNAME"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return "uid:\(getuid())"
    }

    /// Writes a line to stdout.
    public func line(_ text: String = "") { out(text + "\n") }

    /// Writes a line to stderr.
    public func note(_ text: String) { err(text + "\n") }
}
