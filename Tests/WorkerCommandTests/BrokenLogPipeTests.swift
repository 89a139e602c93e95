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
    /// Runs the simulator demo of two sales through `/bin/sh -c <script>` (the worker is `$0`)
    /// with stderr set up by `stderr`, and returns how it ended and what it printed on stdout.
    static func demo(
        script: String, stderr: Any
    ) async throws -> (reason: Process.TerminationReason, status: Int32, stdout: String) {
        let db = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, BuiltProducts.path("worker"), "--simulator", "--demo", "2", "--db", db]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try ChildProcess.start(process)
        // Small output (four lines): read to the end, then the exit.
        let stdout = await Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning {
            if ContinuousClock.now > deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return (process.terminationReason, process.terminationStatus, String(decoding: stdout, as: UTF8.self))
    }

    @Test("a log pipe whose reader is gone: lines dropped, both sales done, exit 0")
    func readerGone() async throws {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let run = try await Self.demo(script: #"exec "$0" "$@""#, stderr: pipe)
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

    @Test("outbox whose output cannot be written (a full disk): exit 1 and a message on stderr, not a trap")
    func cliOutputClosed() async throws {
        let db = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        _ = try store.enqueue(InspectFollowBinaryTests.pairRequest())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", #"exec "$0" "$@" >/dev/full"#, BuiltProducts.path("outbox"), "inspect", "list", "--db", db,
        ]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let err = Pipe()
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try ChildProcess.start(process)
        let stderr = await Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            if ContinuousClock.now > deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let text = String(decoding: stderr, as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(text)")
        #expect(text.contains("outbox: cannot write the output: No space left on device"), "\(text)")
    }
}
