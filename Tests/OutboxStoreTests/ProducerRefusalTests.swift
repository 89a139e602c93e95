import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

/// Schema 003: what the database refuses from producers, through the `sqlite3` shell (another
/// process, another language's connection), each with an `outbox:` message naming the problem.
@Suite("Schema 003: producer refusals")
struct ProducerRefusalTests {
    static let key = "6f1c2a3e-0000-4000-8000-0000000000aa"
    static let pair = #"'{"TerminalTagCode":"T1"}'"#

    /// Runs `sql` in the sqlite3 shell on a fresh database; returns its stderr and the row count.
    static func shell(_ sql: String, database: TestDatabase? = nil) throws -> (stderr: String, rows: Int) {
        let database = try database ?? TestDatabase()
        let store = try database.open()
        let result = try run("/usr/bin/sqlite3", [database.path], input: sql + "\n")
        let rows = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM outbox") ?? 0 }
        return (result.stderr, rows)
    }

    static let refused: [(String, String, String)] = [
        ("BLOB key", "INSERT INTO outbox (command_key, kind, payload) VALUES (X'FFFE00', 'async_pair_request', \(pair))", "command_key must be text"),
        ("number key", "INSERT INTO outbox (command_key, kind, payload) VALUES (12, 'async_pair_request', \(pair))", "command_key must be a GUID"),
        ("word key", "INSERT INTO outbox (command_key, kind, payload) VALUES ('hello', 'async_pair_request', \(pair))", "command_key must be a GUID"),
        ("trailing space", "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(key) ', 'async_pair_request', \(pair))", "command_key must be a GUID"),
        ("full-width digits", "INSERT INTO outbox (command_key, kind, payload) VALUES ('６f1c2a3e-0000-4000-8000-0000000000aa', 'async_pair_request', \(pair))", "command_key must be a GUID"),
        ("kind as a BLOB", "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(key)', X'6173796E635F7061697200', \(pair))", "not a known command kind"),
        ("payload as a BLOB", "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(key)', 'async_pair_request', X'7B7D')", "payload must be text"),
        ("payload over 64 KiB", "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(key)', 'async_pair_request', '{\"TerminalTagCode\":\"T1\",\"X\":\"' || hex(zeroblob(32768)) || '\"}')", "payload is larger than 65536 bytes"),
        ("sale_key as a BLOB", "INSERT INTO outbox (command_key, kind, payload, sale_key) VALUES ('\(key)', 'async_cancel', '{}', X'00')", "sale_key and payment_request_id must be text"),
        ("created_at as text", "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('\(key)', 'async_pair_request', \(pair), 'yesterday')", "outbox: created_at must be INTEGER milliseconds"),
        ("created_at in seconds", "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('\(key)', 'async_pair_request', \(pair), 1790000000)", "created_at must be INTEGER milliseconds"),
        ("created_at in microseconds", "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('\(key)', 'async_pair_request', \(pair), 1790000000000000)", "created_at must be INTEGER milliseconds"),
        ("created_at at the 64-bit maximum", "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('\(key)', 'async_pair_request', \(pair), 9223372036854775807)", "created_at must be INTEGER milliseconds"),
        ("created_at negative", "INSERT INTO outbox (command_key, kind, payload, created_at) VALUES ('\(key)', 'async_pair_request', \(pair), -1)", "created_at must be INTEGER milliseconds"),
        ("not_before in 2100", "INSERT INTO outbox (command_key, kind, payload, not_before) VALUES ('\(key)', 'async_pair_request', \(pair), 4102444800000)", "not_before must be NULL or INTEGER milliseconds"),
        ("not_before as a real", "INSERT INTO outbox (command_key, kind, payload, not_before) VALUES ('\(key)', 'async_pair_request', \(pair), 1790000000000.5)", "not_before must be NULL or INTEGER milliseconds"),
        ("deadline in seconds", "INSERT INTO outbox (command_key, kind, payload, deadline) VALUES ('\(key)', 'async_pair_request', \(pair), 1790000000)", "deadline must be NULL or INTEGER milliseconds"),
        ("not_before after deadline", "INSERT INTO outbox (command_key, kind, payload, not_before, deadline) VALUES ('\(key)', 'async_pair_request', \(pair), 1790000060000, 1790000000000)", "not_before is later than deadline"),
    ]

    @Test("each malformed INSERT is refused with its outbox: message, and nothing is stored", arguments: refused)
    func refusedInShell(_ name: String, _ sql: String, _ expected: String) throws {
        let (stderr, rows) = try Self.shell(sql + ";")
        #expect(stderr.contains("outbox: ") && stderr.contains(expected), "\(name): \(stderr)")
        #expect(rows == 0, "\(name) was stored")
    }

    @Test("limits themselves pass: a 65536-byte payload, times at 2000-01-01 and just before 2100, not_before = deadline")
    func limitsPass() throws {
        // 65536 bytes exactly: {"TerminalTagCode":"T1","X":"…"} is 31 bytes plus the filler.
        let filler = 65_536 - #"{"TerminalTagCode":"T1","X":""}"#.utf8.count
        let sql = """
            INSERT INTO outbox (command_key, kind, payload) VALUES ('\(Self.key)', 'async_pair_request',
              '{"TerminalTagCode":"T1","X":"' || substr(hex(zeroblob(\(filler))), 1, \(filler)) || '"}');
            INSERT INTO outbox (command_key, kind, payload, created_at, not_before, deadline)
              VALUES ('\(Sample.guid())', 'async_pair_request', \(Self.pair), 946684800000, 4102444799999, 4102444799999);
            """
        let (stderr, rows) = try Self.shell(sql)
        #expect(stderr.isEmpty, "\(stderr)")
        #expect(rows == 2)
    }

    @Test("one key in several spellings is one command: case folds, look-alikes are refused")
    func oneKeyOneCommand() throws {
        let spellings = [Self.key, Self.key.uppercased(), " " + Self.key, "６" + Self.key.dropFirst()]
        let sql = spellings.map {
            "INSERT INTO outbox (command_key, kind, payload) VALUES ('\($0)', 'marketplace_approve', '{\"PaymentId\":7}') ON CONFLICT (command_key) DO NOTHING;"
        }.joined(separator: "\n")
        let (_, rows) = try Self.shell(sql)
        #expect(rows == 1)
    }

    @Test("a producer cannot forge an outcome, change worker columns, or delete a command; the product can")
    func producerWritesRefused() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let id = try store.enqueue(Sample.sale()).id
        let forbidden = [
            "UPDATE outbox SET state = 'succeeded' WHERE id = \(id);",
            "UPDATE outbox SET deadline = 4102444799999 WHERE id = \(id);",
            "DELETE FROM outbox WHERE id = \(id);",
            "INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at) VALUES (\(id), 'k', 'async_sale', 1, 'outcome', 'succeeded', 1);",
            "INSERT INTO attempt (outbox_id, generation, started_at, outcome) VALUES (\(id), 1, 1, 'succeeded');",
            "INSERT INTO audit (at, actor, action) VALUES (1, 'x', 'retry');",
            "INSERT INTO worker_status (worker, started_at, heartbeat_at, state) VALUES ('w', 1, 1, 'running');",
        ]
        for sql in forbidden {
            let result = try run("/usr/bin/sqlite3", [database.path], input: sql + "\n")
            #expect(result.stderr.contains("outbox_product_connection"), "\(sql): \(result.stderr)")
        }
        #expect(try store.command(id: id)?.state == .pending)
        #expect(try store.inbox(after: 0).isEmpty)
        // Consumers may delete inbox rows they have handled.
        let trim = try run("/usr/bin/sqlite3", [database.path], input: "DELETE FROM inbox WHERE id < 0;\n")
        #expect(trim.stderr.isEmpty)
        // The product's own paths keep working.
        try store.write { try $0.execute(sql: "UPDATE outbox SET last_error = 'x' WHERE id = ?", arguments: [id]) }
        #expect(try store.claim(owner: "w", now: EpochRange.earliest, limit: 1, leaseMillis: 1).map(\.id) == [id])
        #expect(try store.read { try Int.fetchOne($0, sql: "PRAGMA trusted_schema") } == 1)
    }

    @Test("the product's function works inside a trigger even with trusted_schema OFF (SQLITE_INNOCUOUS)")
    func functionIsInnocuous() throws {
        let database = try TestDatabase()
        let queue = try DatabaseQueue(path: database.path)
        try queue.writeWithoutTransaction { db in
            try ProductConnection.register(db)
            try db.execute(
                sql: """
                    CREATE TABLE t (x);
                    CREATE TRIGGER t_guard BEFORE INSERT ON t WHEN NOT outbox_product_connection()
                    BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    PRAGMA trusted_schema = OFF;
                    INSERT INTO t VALUES (1);
                    """)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 1)
        }
    }
}

@Suite("README: the list of refusals")
struct RefusalListTests {
    @Test("README's 'What the database refuses' names every message the insert and immutability triggers raise")
    func readmeListsEveryRefusal() throws {
        let readme = try String(
            contentsOf: BuiltProducts.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.components(separatedBy: "### What the database refuses").dropFirst().first?
            .components(separatedBy: "\n### ").first
        else {
            Issue.record("README has no 'What the database refuses' section")
            return
        }
        // The current insert trigger is the last migration that (re)creates it; the immutability
        // trigger is schema 001's.
        let insertTrigger = try #require(
            embeddedMigrations.last { $0.sql.contains("CREATE TRIGGER outbox_validate_insert") }?.sql)
        let immutable = try #require(embeddedMigrations.first?.sql.components(separatedBy: "CREATE TRIGGER outbox_immutable").last)
        // Later refusals of their own (schema 5: NUL characters).
        let refusals = embeddedMigrations.flatMap { $0.sql.components(separatedBy: "CREATE TRIGGER outbox_refuse_").dropFirst() }
        var messages: [String] = []
        for sql in [insertTrigger.components(separatedBy: "CREATE TRIGGER outbox_validate_insert").last ?? "", immutable]
            + refusals
        {
            let body = sql.components(separatedBy: "END;").first ?? ""
            for part in body.components(separatedBy: "RAISE(ABORT, '").dropFirst() {
                // The message ends at the first quote not doubled ('' is an escaped quote).
                var message = ""
                var rest = Substring(part)
                while let quote = rest.firstIndex(of: "'") {
                    message += rest[..<quote]
                    let after = rest.index(after: quote)
                    if after < rest.endIndex && rest[after] == "'" {
                        message += "'"
                        rest = rest[rest.index(after: after)...]
                    } else {
                        break
                    }
                }
                messages.append(message)
            }
        }
        #expect(messages.count >= 24)
        for message in messages {
            #expect(section.contains(String(message.prefix(40))), "README lacks: \(message)")
        }
    }
}
