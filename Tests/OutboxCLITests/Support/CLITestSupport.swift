import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport

/// A fresh database file in its own temporary folder.
struct TestDatabase {
    let directory: URL
    let path: String

    init() throws {
        directory = Scratch.url("outbox-cli-test")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("outbox.sqlite").path
    }

    func open() throws -> OutboxStore { try OutboxStore(OutboxStoreConfiguration(path: path)) }
}

/// Builders for commands in every state, made the way a worker makes them.
enum Sample {
    static func guid() -> String { UUID().uuidString.lowercased() }

    static func sale(
        _ key: String = guid(), terminal: String = "STORE1-TILL2", customer: Bool = false, createdAt: EpochMillis? = nil
    ) -> NewCommand {
        let person = customer ? #","Customer":{"Type":1,"FirstName":"Ayşe","LastName":"Yılmaz","Email":"ayse@example.com","Phone":"+905551112233"}"# : ""
        return NewCommand(
            commandKey: key, kind: .asyncSale,
            payload: #"{"TerminalTagCode":"\#(terminal)","MerchantUniqueCode":"\#(key)","Amount":22.10,"CurrencyId":1\#(person)}"#,
            createdAt: createdAt)
    }

    /// A sale that died: two sends, the last with an unknown outcome (a timeout).
    @discardableResult
    static func deadSale(_ store: OutboxStore, now: EpochMillis, customer: Bool = true) throws -> (id: Int64, key: String) {
        let sale = sale(customer: customer, createdAt: now - 120_000)
        let id = try store.enqueue(sale).id
        for (index, outcome) in ["transient", "unknown"].enumerated() {
            let claimed = try store.claim(owner: "worker-a", now: now, limit: 100, leaseMillis: 30_000)
            precondition(claimed.contains { $0.id == id })
            let others = claimed.filter { $0.id != id }.map(\.id)
            try store.release(ids: others, owner: "worker-a", now: now)
            try store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("worker-a"),
                    attempt: AttemptRecord(
                        startedAt: now - 60_000 + Int64(index) * 1_000, durationMillis: 30_000,
                        httpStatus: outcome == "transient" ? 503 : nil, outcome: outcome,
                        error: outcome == "transient" ? "HTTP 503 Service Unavailable" : "timed out after 30s"),
                    countsAsAttempt: true,
                    next: index == 1
                        ? .finish(InboxOutcome(.dead, reason: .attemptsExhausted, message: "timed out after 30s"))
                        : .reschedule(dueAt: now, needsReconcile: false, lastError: "HTTP 503"))],
                worker: "worker-a", now: now)
        }
        return (id, sale.commandKey)
    }
}

/// The result of running `outbox`.
struct Ran {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a process to completion, feeding `input` on a pipe (never a terminal).
@discardableResult
func run(_ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil)
    throws -> Ran
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["USER"] = "tester"
    env.removeValue(forKey: "SUDO_USER")
    env.removeValue(forKey: "OUTBOX_DB")
    for (key, value) in environment ?? [:] { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    let inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try ChildProcess.start(process)
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a large stderr cannot block the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Ran(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs the built `outbox` with `--db path` appended.
@discardableResult
func outbox(_ arguments: [String], db: String?, input: String? = nil, environment: [String: String]? = nil) throws -> Ran {
    try run(
        BuiltProducts.executable("outbox").path, arguments + (db.map { ["--db", $0] } ?? []), input: input,
        environment: environment)
}

/// Decodes `--json` output.
func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// ``outbox(_:db:input:environment:)`` on a thread of its own: a test waiting for the binary
/// must not hold one of the few cooperative threads (two on a 2-core machine) that the worker
/// tests in the same test process need to make progress.
func outboxAsync(_ arguments: [String], db: String?, input: String? = nil, environment: [String: String]? = nil)
    async throws -> Ran
{
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try outbox(arguments, db: db, input: input, environment: environment) })
        }
    }
}
