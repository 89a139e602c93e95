import Foundation
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

@Suite("Store: many processes, one file", .serialized)
struct MultiProcessTests {
    static let pythonCount = 400
    static let shellCount = 400

    /// SQL a shell producer pipes into `sqlite3`: .timeout, then one INSERT per command.
    static func shellScript(count: Int) -> String {
        var lines = [".bail on", ".timeout 10000", "PRAGMA synchronous = NORMAL;"]
        for _ in 0..<count {
            let key = UUID().uuidString.lowercased()
            lines.append(
                "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(key)', 'sync_sale', "
                    + #"'{"MerchantUniqueCode":"\#(key)","Amount":5,"CurrencyId":1,"TerminalTagCode":"SH-1"}')"#
                    + " ON CONFLICT (command_key) DO NOTHING;")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("python3 and sqlite3 producers insert while two claimer processes drain: each command claimed once, no SQLITE_BUSY")
    func producersAndClaimers() async throws {
        let database = try TestDatabase()
        _ = try database.open()
        let stopFile = database.directory.appendingPathComponent("stop").path
        let bench = BuiltProducts.executable("outbox-bench").path
        let fixture = BuiltProducts.packageRoot.appendingPathComponent("Tests/OutboxStoreTests/Fixtures/python_producer.py").path

        // Each child is waited for on a thread of its own: blocking waits in tasks would hold
        // the cooperative pool's two threads and keep the producers from ever starting.
        async let claimerA = runOffPool(bench, ["drain", "--db", database.path, "--owner", "A", "--stop-file", stopFile, "--batch", "4"])
        async let claimerB = runOffPool(bench, ["drain", "--db", database.path, "--owner", "B", "--stop-file", stopFile, "--batch", "16"])
        async let python = runOffPool("/usr/bin/env", ["python3", fixture, database.path, "\(Self.pythonCount)"])
        async let shell = runOffPool("/usr/bin/sqlite3", [database.path], input: Self.shellScript(count: Self.shellCount))

        let (py, sh) = try await (python, shell)
        #expect(py.status == 0, "python producer: \(py.stdout) \(py.stderr)")
        #expect(py.stdout.contains("busy 0"))
        #expect(sh.status == 0 && sh.stderr.isEmpty, "sqlite3 producer: \(sh.stderr)")
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        let (a, b) = try await (claimerA, claimerB)
        #expect(a.status == 0 && b.status == 0, "A exit \(a.status): \(a.stderr) B exit \(b.status): \(b.stderr)")

        func ids(_ output: String) -> [Int64] {
            output.split(separator: "\n").compactMap { $0.hasPrefix("claimed ") ? Int64($0.dropFirst(8)) : nil }
        }
        let fromA = ids(a.stdout)
        let fromB = ids(b.stdout)
        let store = try database.open()
        let all = try store.list(CommandFilter(limit: 10_000))
        #expect(all.count == Self.pythonCount + Self.shellCount)
        #expect(Set(fromA).isDisjoint(with: Set(fromB)))
        #expect((fromA + fromB).count == all.count)
        #expect(Set(fromA + fromB) == Set(all.map(\.id)))
        #expect(all.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })
        #expect(try store.inbox(after: 0, limit: 10_000).count == all.count)
        #expect(!fromA.isEmpty && !fromB.isEmpty, "both claimers should have taken work: A \(fromA.count), B \(fromB.count)")
    }

    @Test("a claimer killed with SIGKILL loses nothing: its commands return for reconciliation when the lease ends")
    func sigkillLosesNothing() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let ids = try (0..<6).map { _ in try store.enqueue(Sample.sale()).id }
        let process = Process()
        process.executableURL = BuiltProducts.executable("outbox-bench")
        process.arguments = ["hold", "--db", database.path, "--owner", "doomed", "--count", "4", "--lease-ms", "60000"]
        let out = Pipe()
        process.standardOutput = out
        try ChildProcess.start(process)
        var text = ""
        while !text.contains("ready\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let held = text.split(separator: "\n").compactMap { $0.hasPrefix("held ") ? Int64($0.dropFirst(5)) : nil }
        #expect(held == Array(ids[0..<4]))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // While the lease lasts the commands stay with the dead claimer; nobody else gets them.
        let now = SystemWallClock().now()
        #expect(try store.claim(owner: "next", now: now, limit: 10, leaseMillis: 600_000).map(\.id) == Array(ids[4...]))
        // Once it has ended, they come back, marked for reconciliation, and can be drained.
        let back = try store.releaseExpiredLeases(now: now + 60_001)
        #expect(Set(back) == Set(held))
        let again = try store.claim(owner: "next", now: now + 60_002, limit: 10, leaseMillis: 1_000)
        #expect(again.map(\.id) == held)
        #expect(again.allSatisfy { $0.needsReconcile })
    }
}
