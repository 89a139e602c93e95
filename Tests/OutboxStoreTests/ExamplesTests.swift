import Foundation
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

@Suite("README examples")
struct ExamplesTests {
    static func example(_ name: String) throws -> (path: String, text: String) {
        let url = BuiltProducts.packageRoot.appendingPathComponent("examples/\(name)")
        return (url.path, try String(contentsOf: url, encoding: .utf8))
    }

    @Test("the README shows the Python producer, consumer and payments reader exactly as they are in examples/")
    func readmeShowsExamples() throws {
        let readme = try String(
            contentsOf: BuiltProducts.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for name in ["producer.py", "consumer.py", "payments.py"] {
            #expect(readme.contains("```python\n" + (try Self.example(name).text) + "```"), "README copy of \(name)")
        }
    }

    @Test("the Python producer queues a sale with its exact amount and a cancel naming it; the consumer reads outcomes by cursor")
    func producerAndConsumerRun() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let produced = try run("/usr/bin/env", ["python3", try Self.example("producer.py").path, database.path])
        #expect(produced.status == 0, "\(produced.stderr)")
        let keys = try JSONDecoder().decode([String: String].self, from: Data(produced.stdout.utf8))
        let saleKey = try #require(keys["sale"])
        let cancelKey = try #require(keys["cancel"])
        let sale = try #require(try store.find(reference: saleKey).first)
        #expect(sale.kind == .asyncSale)
        #expect(sale.payload.contains(#""Amount": 22.10,"#))
        let cancel = try #require(try store.find(reference: cancelKey).first)
        #expect(cancel.saleKey == sale.commandKey && cancel.kind == .asyncCancel)

        // Finish both, then read the inbox twice with the same cursor file: each row once.
        _ = try store.claim(owner: "w", now: 0, limit: 10, leaseMillis: 1_000)
        try store.record(
            [CommandUpdate(commandID: sale.id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
            worker: "w", now: 1)
        let cursorFile = database.directory.appendingPathComponent("cursor.txt").path
        let consumer = try Self.example("consumer.py").path
        let first = try run("/usr/bin/env", ["python3", consumer, database.path, cursorFile])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 1 && first.stdout.contains(#""outcome": "succeeded""#))
        try store.record(
            [CommandUpdate(commandID: cancel.id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.failed, reason: .rejected)))],
            worker: "w", now: 2)
        let second = try run("/usr/bin/env", ["python3", consumer, database.path, cursorFile])
        #expect(second.stdout.split(separator: "\n").count == 1 && second.stdout.contains(#""outcome": "failed""#))
    }
}
