import Foundation
import OutboxTestSupport
import OutboxModel
import Testing

@testable import OutboxStore

/// A fresh database file in its own temporary folder.
struct TestDatabase {
    let directory: URL
    let path: String

    init() throws {
        directory = Scratch.url("outbox-test")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("outbox.sqlite").path
    }

    func open(_ adjust: (inout OutboxStoreConfiguration) -> Void = { _ in }) throws -> OutboxStore {
        var configuration = OutboxStoreConfiguration(path: path)
        adjust(&configuration)
        return try OutboxStore(configuration)
    }
}

/// Builders for valid commands.
enum Sample {
    static func guid() -> String { UUID().uuidString.lowercased() }

    static func salePayload(key: String, amount: String = "22.10", terminal: String = "\"TerminalTagCode\":\"T1\"")
        -> String
    {
        #"{"MerchantUniqueCode":"\#(key)","Amount":\#(amount),"CurrencyId":1,\#(terminal)}"#
    }

    static func sale(_ key: String = guid(), kind: CommandKind = .asyncSale, amount: String = "22.10") -> NewCommand {
        NewCommand(commandKey: key, kind: kind, payload: salePayload(key: key, amount: amount))
    }

    static func cancel(saleKey: String, key: String = guid(), kind: CommandKind = .asyncCancel) -> NewCommand {
        NewCommand(commandKey: key, kind: kind, payload: "{}", saleKey: saleKey)
    }
}

/// Runs a process to completion, feeding `input`, and returns its status and output.
///
/// Input and output go through temporary files, not pipes: a pipe's end of file depends on every
/// process holding its write end, and a child another test starts at the same moment can inherit
/// one (seen: a sqlite3 producer waiting for the end of its input for 300 s in a full run). A
/// file ends where it ends.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let directory = Scratch.url("run")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inURL = directory.appendingPathComponent("stdin")
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    try Data((input ?? "").utf8).write(to: inURL)
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let inHandle = try FileHandle(forReadingFrom: inURL)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = inHandle
    process.standardOutput = outHandle
    process.standardError = errHandle
    try ChildProcess.start(process)
    process.waitUntilExit()
    try? inHandle.close()
    try? outHandle.close()
    try? errHandle.close()
    let outData = try Data(contentsOf: outURL)
    let errData = try Data(contentsOf: errURL)
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Runs a process to completion on a thread of its own, so that several children can run at
/// once without blocking Swift's cooperative thread pool (2 threads on a 2-core machine).
func runOffPool(_ executable: String, _ arguments: [String], input: String? = nil) async throws -> (
    status: Int32, stdout: String, stderr: String
) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try run(executable, arguments, input: input))
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
}
