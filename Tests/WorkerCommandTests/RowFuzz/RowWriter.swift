import Foundation
import OutboxTestSupport

/// A producer in another process: `python3 Tests/Fixtures/sqlite_row_writer.py DB`, which binds
/// each row's values through SQLite's C API (Python's sqlite3 module) and answers one line per row.
final class RowWriter: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var buffer = Data()
    private let lock = NSLock()
    private var errText = Data()
    private var errDone = false
    /// Where the blocking pipe reads happen: never on Swift's cooperative pool (two threads here).
    private let queue = DispatchQueue(label: "row-writer")

    init(databasePath: String) throws {
        // A writer that died must fail the write, not stop the test process.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", BuiltProducts.fixture("sqlite_row_writer.py").path, databasePath]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try ChildProcess.start(process)
        let handle = errors.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.withLock { errText.append(data) }
            }
            lock.withLock { errDone = true }
        }
    }

    /// What the writer printed on stderr (a Python traceback if it stopped).
    var stderr: String { lock.withLock { String(decoding: errText, as: UTF8.self) } }

    /// Writes `rows` in order, one statement each, off the cooperative pool (the pipe reads
    /// block). Times are resolved as each row goes.
    func write(_ rows: [FuzzRow]) async throws -> [WriteResult] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                do {
                    continuation.resume(returning: try rows.map { try writeBlocking($0) })
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Writes one row and waits for its answer (blocks the calling thread).
    func writeBlocking(_ row: FuzzRow) throws -> WriteResult {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try input.fileHandleForWriting.write(contentsOf: row.request(now: now))
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return try JSONDecoder().decode(WriteResult.self, from: line)
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty {
                throw WriterStopped(stderr: stderr)
            }
            buffer.append(data)
        }
    }

    /// Closes its input and waits (bounded) for it to exit; returns the exit status.
    func finish() async -> Int32 {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    struct WriterStopped: Error, CustomStringConvertible {
        var stderr: String
        var description: String { "sqlite_row_writer.py stopped answering; stderr: \(stderr.suffix(2000))" }
    }
}
