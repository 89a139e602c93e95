import Foundation
import OutboxStore
import OutboxTestSupport
import Testing

/// A worker whose stderr cannot be written (the log pipe's reader went away, or stderr closed)
/// drops its log lines and does its work: it used to trap at its first log line
/// (Foundation's `FileHandle.write(_:)`), or die of SIGPIPE. A closed stderr gets /dev/null
/// before anything else opens a descriptor, so nothing else takes its number. The `outbox` CLI,
/// whose output is what the operator asked for, stops with status 1 and says why when its output
/// cannot be written, instead of trapping.
@Suite(.serialized) struct BrokenLogPipeTests {
    /// Starts `/bin/sh -c <script>` with `executable` as `$0` and `arguments` after it (the
    /// script execs it with a redirection), a clean environment, no stdin, and the given stdout
    /// and stderr (inherited when nil).
    static func start(
        _ script: String, _ executable: String, _ arguments: [String], stdout: Any? = nil, stderr: Any? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, BuiltProducts.path(executable)] + arguments
        process.environment = ["PATH": "/usr/bin:/bin"]
        if let stdout { process.standardOutput = stdout }
        if let stderr { process.standardError = stderr }
        process.standardInput = FileHandle.nullDevice
        try ChildProcess.start(process)
        return process
    }

    /// Runs the simulator demo of two sales through `/bin/sh -c <script>` (the worker is `$0`)
    /// with stderr set up by `stderr`, and returns how it ended and what it printed on stdout.
    static func demo(
        script: String, stderr: Any
    ) async throws -> (reason: Process.TerminationReason, status: Int32, stdout: String) {
        let db = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let out = Pipe()
        let process = try start(script, "worker", ["--simulator", "--demo", "2", "--db", db], stdout: out, stderr: stderr)
        let stdout = await readToEnd(out, of: process)
        return (process.terminationReason, process.terminationStatus, String(decoding: stdout, as: UTF8.self))
    }

    /// Everything `pipe` carries until `process` exits, killing it after `timeout` (a hung child
    /// fails the test instead of hanging it).
    static func readToEnd(_ pipe: Pipe, of process: Process, timeout: Duration = .seconds(120)) async -> Data {
        let pid = process.processIdentifier
        let watchdog = Task {
            do {
                try await Task.sleep(for: timeout)
                kill(pid, SIGKILL)
            } catch {}
        }
        let data = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        watchdog.cancel()
        return data
    }

    @Test("a log pipe whose reader is gone: lines dropped, both sales done, exit 0")
    func readerGone() async throws {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        // SIGPIPE back to its default first: the test process ignores it, and a child inherits
        // that, which would hide a worker that does not ignore it itself.
        let run = try await Self.demo(script: #"exec env --default-signal=PIPE "$0" "$@""#, stderr: pipe)
        #expect(run.reason == .exit && run.status == 0, "\(run)")
        // Two outcome lines and the two payments' final statuses, as with a working stderr.
        #expect(run.stdout.split(separator: "\n").count == 4, "\(run.stdout)")
    }

    @Test("stderr closed (2>&-): lines dropped, both sales done, exit 0")
    func stderrClosed() async throws {
        let run = try await Self.demo(script: #"exec "$0" "$@" 2>&-"#, stderr: FileHandle.nullDevice)
        #expect(run.reason == .exit && run.status == 0, "\(run)")
        #expect(run.stdout.split(separator: "\n").count == 4, "\(run.stdout)")
    }

    @Test("a stderr closed at start is /dev/null in the running worker, not a descriptor it opened")
    func closedStderrIsDevNull() async throws {
        let db = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let out = Pipe()
        let process = try Self.start(
            #"exec "$0" "$@" 2>&-"#, "worker", ["--simulator", "--db", db, "--create-database"], stdout: out)
        defer { kill(process.processIdentifier, SIGKILL) }
        // The worker is running once its database exists and holds its simulator's port; by then
        // whatever descriptor 2 is, it is for good. Before the guard, it was an epoll descriptor.
        let link = "/proc/\(process.processIdentifier)/fd/2"
        let deadline = ContinuousClock.now + .seconds(60)
        var target: String?
        while ContinuousClock.now < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: db), let found = try? FileManager.default.destinationOfSymbolicLink(atPath: link) {
                target = found
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        #expect(target == "/dev/null")
        kill(process.processIdentifier, SIGTERM)
        _ = await Self.readToEnd(out, of: process, timeout: .seconds(60))
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test("worker --check-config whose output cannot be written: exit 70 and a message, not a trap")
    func checkConfigOutputFull() async throws {
        let err = Pipe()
        let process = try Self.start(
            #"exec "$0" "$@" >/dev/full"#, "worker", ["--simulator", "--check-config"], stderr: err)
        let text = String(decoding: await Self.readToEnd(err, of: process, timeout: .seconds(60)), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 70, "\(text)")
        #expect(text.contains("worker: cannot write the settings: No space left on device"), "\(text)")
    }

    @Test("outbox whose output cannot be written (a full disk): exit 1 and a message on stderr, not a trap")
    func cliOutputFull() async throws {
        let db = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        _ = try store.enqueue(InspectFollowBinaryTests.pairRequest())
        let err = Pipe()
        let process = try Self.start(#"exec "$0" "$@" >/dev/full"#, "outbox", ["inspect", "list", "--db", db], stderr: err)
        let stderr = await Self.readToEnd(err, of: process, timeout: .seconds(60))
        let text = String(decoding: stderr, as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(text)")
        #expect(text.contains("outbox: cannot write the output: No space left on device"), "\(text)")
    }
}
