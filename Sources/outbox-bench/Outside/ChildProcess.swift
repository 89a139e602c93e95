import Foundation

/// A process the benchmark starts (the worker, a Python producer or peer). Its stdout and stderr
/// go to files in the run's scratch directory (no pipe to fill up and block it), read back when
/// it has exited.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    let stdoutPath: String
    let stderrPath: String

    /// Starts `executable` with `arguments`; `environment` entries are added to this process's.
    init(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:],
        directory: String
    ) throws {
        self.name = name
        let stamp = UUID().uuidString.prefix(8)
        stdoutPath = "\(directory)/\(name)-\(stamp).out"
        stderrPath = "\(directory)/\(name)-\(stamp).err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    /// The process measured and signalled: the child itself, or (when it is a wrapper such as
    /// strace) the process it started, once ``followChild()`` found it.
    private(set) var target: Int32?

    var pid: Int32 { target ?? process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Sends `signal` (SIGTERM by default) to ``pid``.
    func signal(_ signal: Int32 = SIGTERM) {
        if process.isRunning { kill(pid, signal) }
    }

    /// For a wrapper (strace): waits up to 5 s for its first child and measures and signals
    /// that one from now on.
    func followChild() async throws {
        let wrapper = process.processIdentifier
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: "/proc/\(wrapper)/task/\(wrapper)/children", encoding: .utf8),
                let first = text.split(separator: " ").first, let child = Int32(first)
            {
                target = child
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw OutsideError("\(name) started no child: \(stderrTail())")
    }

    /// Waits up to `timeout` for the process to exit; returns its exit status, or nil if it is
    /// still running (then it is killed with SIGKILL, so nothing outlives the benchmark).
    @discardableResult
    func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// SIGTERM, then wait (SIGKILL after `grace`).
    @discardableResult
    func stop(grace: Duration = .seconds(15)) async -> Int32? {
        signal(SIGTERM)
        return await wait(timeout: grace)
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The last `count` lines of stderr, for error messages.
    func stderrTail(_ count: Int = 5) -> String {
        standardError.split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}

/// Runs a process to completion and returns its stdout; throws with its stderr when it fails.
func runToCompletion(
    name: String, executable: String, arguments: [String], environment: [String: String] = [:], directory: String,
    timeout: Duration = .seconds(900)
) async throws -> String {
    let child = try ChildProcess(
        name: name, executable: executable, arguments: arguments, environment: environment, directory: directory)
    let status = await child.wait(timeout: timeout)
    guard status == 0 else {
        throw OutsideError(
            "\(name) \(status.map { "exited \($0)" } ?? "timed out"): \(child.stderrTail())")
    }
    return child.standardOutput
}

/// A failure of the outside benchmark, with a message for the table or the terminal.
struct OutsideError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
