import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

@Suite("Schema: the producer contract")
struct SchemaContractTests {
    @Test("the SQL embedded in the binaries is byte for byte Schema/")
    func embeddedSchemaMatchesFiles() throws {
        try expectEmbedded(embeddedMigrations, areTheFilesOf: "Schema")
    }

    @Test("command_kind in the database lists exactly the kinds the code knows, with the same roles")
    func kindTableMatchesCode() throws {
        let store = try TestDatabase().open()
        let rows = try store.pool.read { try Row.fetchAll($0, sql: "SELECT name, role FROM command_kind") }
        let table = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as String) })
        let code = Dictionary(uniqueKeysWithValues: CommandKind.allCases.map { ($0.rawValue, $0.role.rawValue) })
        #expect(table == code)
    }

    @Test("a valid command of every kind is accepted")
    func everyKindAccepted() throws {
        let store = try TestDatabase().open()
        let sale = Sample.guid()
        let commands: [NewCommand] = [
            Sample.sale(sale),
            Sample.sale(kind: .syncSale),
            Sample.cancel(saleKey: sale),
            Sample.cancel(saleKey: sale, kind: .syncCancel),
            Sample.cancel(saleKey: sale, kind: .syncSaleRollback),
            NewCommand(
                commandKey: Sample.guid(), kind: .syncCancelRollback, payload: "{}", paymentRequestId: Sample.guid()),
            NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#),
            NewCommand(
                commandKey: Sample.guid(), kind: .asyncPairConfirm, payload: #"{"PairAsyncRequestId":"\#(Sample.guid())"}"#),
            NewCommand(commandKey: Sample.guid(), kind: .syncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#),
            NewCommand(commandKey: Sample.guid(), kind: .marketplaceApprove, payload: #"{"PaymentId":42}"#),
        ]
        #expect(Set(commands.map(\.kindName)) == Set(CommandKind.allCases.map(\.rawValue)))
        for command in commands {
            guard case .inserted = try store.enqueue(command) else {
                Issue.record("\(command.kindName) was not inserted")
                continue
            }
        }
    }

    static let key = "6f1c2a3e-0000-4000-8000-000000000001"
    static let malformed: [(String, NewCommand, String)] = [
        ("unknown kind", NewCommand(commandKey: key, kindName: "refund", payload: "{}"), "not a known command kind"),
        ("payload not JSON", NewCommand(commandKey: key, kind: .asyncPairRequest, payload: "{TerminalTagCode:"), "payload is not a JSON object"),
        ("payload a JSON array", NewCommand(commandKey: key, kind: .asyncPairRequest, payload: "[1]"), "payload is not a JSON object"),
        ("empty key", NewCommand(commandKey: "", kind: .asyncPairRequest, payload: "{}"), "command_key is required"),
        ("sale without MerchantUniqueCode", NewCommand(commandKey: key, kind: .asyncSale, payload: #"{"Amount":1,"TerminalTagCode":"T"}"#), "needs MerchantUniqueCode as a GUID"),
        ("sale with a non-GUID MerchantUniqueCode", NewCommand(commandKey: key, kind: .syncSale, payload: Sample.salePayload(key: "abc")), "needs MerchantUniqueCode as a GUID"),
        ("sale with a numeric MerchantUniqueCode", NewCommand(commandKey: key, kind: .asyncSale, payload: #"{"MerchantUniqueCode":1,"Amount":1,"TerminalTagCode":"T"}"#), "needs MerchantUniqueCode as a GUID"),
        ("sale key differs from its MerchantUniqueCode", NewCommand(commandKey: "6f1c2a3e-0000-4000-8000-000000000002", kind: .asyncSale, payload: Sample.salePayload(key: key)), "must equal its payload MerchantUniqueCode"),
        ("zero amount", NewCommand(commandKey: key, kind: .asyncSale, payload: Sample.salePayload(key: key, amount: "0")), "Amount as a positive JSON number"),
        ("negative amount", NewCommand(commandKey: key, kind: .asyncSale, payload: Sample.salePayload(key: key, amount: "-5.00")), "Amount as a positive JSON number"),
        ("amount as a string", NewCommand(commandKey: key, kind: .asyncSale, payload: Sample.salePayload(key: key, amount: "\"22.10\"")), "Amount as a positive JSON number"),
        ("amount missing", NewCommand(commandKey: key, kind: .asyncSale, payload: #"{"MerchantUniqueCode":"\#(key)","TerminalTagCode":"T"}"#), "Amount as a positive JSON number"),
        ("sale without a terminal", NewCommand(commandKey: key, kind: .asyncSale, payload: #"{"MerchantUniqueCode":"\#(key)","Amount":1}"#), "exactly one of TerminalId or TerminalTagCode"),
        ("sale with both terminal fields", NewCommand(commandKey: key, kind: .asyncSale, payload: Sample.salePayload(key: key, terminal: #""TerminalTagCode":"T","TerminalId":"\#(key)""#)), "exactly one of TerminalId or TerminalTagCode"),
        ("cancel naming no sale", NewCommand(commandKey: key, kind: .asyncCancel, payload: "{}"), "must name its sale"),
        ("rollback naming no sale", NewCommand(commandKey: key, kind: .syncSaleRollback, payload: "{}"), "must name its sale"),
        ("cancel naming its sale twice", NewCommand(commandKey: key, kind: .syncCancel, payload: "{}", saleKey: key, paymentRequestId: key), "only one of sale_key and payment_request_id"),
        ("cancel with a non-GUID sale_key", NewCommand(commandKey: key, kind: .asyncCancel, payload: "{}", saleKey: "R-1042"), "sale_key must be the sale's MerchantUniqueCode"),
        ("cancel with a non-GUID payment_request_id", NewCommand(commandKey: key, kind: .asyncCancel, payload: "{}", paymentRequestId: "123"), "payment_request_id must be a GUID"),
        ("cancel carrying PaymentRequestId in the payload", NewCommand(commandKey: key, kind: .asyncCancel, payload: #"{"PaymentRequestId":"\#(key)"}"#, saleKey: key), "must not carry PaymentRequestId"),
        ("standalone command naming a sale", NewCommand(commandKey: key, kind: .marketplaceApprove, payload: #"{"PaymentId":1}"#, saleKey: key), "only follow-up commands"),
    ]

    @Test("a malformed row is refused with a message naming the problem", arguments: malformed)
    func malformedRowRefused(_ name: String, _ command: NewCommand, _ expected: String) throws {
        let store = try TestDatabase().open()
        do {
            _ = try store.enqueue(command)
            Issue.record("\(name): accepted")
        } catch let error as OutboxStoreError {
            #expect(error.code == .rejected)
            #expect(error.message.contains(expected), "\(name): \(error.message)")
        }
        #expect(try store.list(CommandFilter()).isEmpty)
    }

    @Test("producers cannot set worker columns or text times", arguments: [
        "state", "attempts", "due_at", "lease_owner", "needs_reconcile", "paywall_payment_request_id", "generation",
    ])
    func workerColumnsRefused(_ column: String) throws {
        let store = try TestDatabase().open()
        let value = column == "lease_owner" || column == "state" || column == "paywall_payment_request_id" ? "'in_flight'" : "2"
        let sql = "INSERT INTO outbox (command_key, kind, payload, \(column)) VALUES ('\(Self.key)', 'async_pair_request', '{}', \(value))"
        let error = #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: sql) }
        }
        #expect(error?.message?.contains("must not set worker columns") == true, "\(String(describing: error))")
        #expect(throws: DatabaseError.self) {
            try store.pool.write {
                try $0.execute(
                    sql: "INSERT INTO outbox (command_key, kind, payload, not_before) VALUES ('\(Sample.guid())', 'async_pair_request', '{}', '2026-01-01')")
            }
        }
    }

    @Test("inserting the same command twice is harmless, whatever the key's case")
    func duplicateInsertIsHarmless() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale()
        let first = try store.enqueue(sale)
        var upper = sale
        upper.commandKey = sale.commandKey.uppercased()
        #expect(first == .inserted(first.id))
        #expect(try store.enqueue(sale) == .alreadyQueued(first.id))
        #expect(try store.enqueue(upper) == .alreadyQueued(first.id))
        #expect(try store.list(CommandFilter()).count == 1)
    }

    @Test("a queued command's request cannot be rewritten")
    func queuedCommandIsImmutable() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        let error = #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: "UPDATE outbox SET payload = '{}' WHERE id = ?", arguments: [id]) }
        }
        #expect(error?.message?.contains("cannot be changed") == true)
        // Worker columns stay writable.
        try store.pool.write { try $0.execute(sql: "UPDATE outbox SET last_error = 'x' WHERE id = ?", arguments: [id]) }
    }

    @Test("the amount is stored exactly as the producer wrote it")
    func amountTextPreserved() throws {
        let store = try TestDatabase().open()
        let sale = Sample.sale(amount: "22.10")
        let id = try store.enqueue(sale).id
        #expect(try store.command(id: id)?.payload.contains("\"Amount\":22.10,") == true)
    }

    @Test("every example INSERT in Schema/examples runs in the sqlite3 shell, twice, and the README shows them")
    func shellExamples() throws {
        let database = try TestDatabase()
        _ = try database.open()
        let examples = BuiltProducts.packageRoot.appendingPathComponent("Schema/examples/insert-one-of-each.sql")
        let sql = try String(contentsOf: examples, encoding: .utf8)
        for _ in 0..<2 {
            let result = try run("/usr/bin/sqlite3", ["-bail", database.path], input: sql)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let store = try database.open()
        let kinds = Set(try store.list(CommandFilter(limit: 100)).map(\.kindName))
        #expect(kinds == Set(CommandKind.allCases.map(\.rawValue)))
        #expect(try store.list(CommandFilter(limit: 100)).count == CommandKind.allCases.count)
        let readme = try String(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for statement in sql.components(separatedBy: "\n\n").filter({ $0.contains("INSERT INTO") }) {
            let insert = statement.split(separator: "\n").drop { !$0.hasPrefix("INSERT") }.joined(separator: "\n")
            #expect(readme.contains(insert), "README.md lacks: \(insert.prefix(80))")
        }
    }

    @Test("the shell refuses a malformed row with the schema's message")
    func shellRefusesMalformed() throws {
        let database = try TestDatabase()
        _ = try database.open()
        let result = try run(
            "/usr/bin/sqlite3", [database.path],
            input: "INSERT INTO outbox (command_key, kind, payload) VALUES ('\(Self.key)', 'async_cancel', '{}');\n")
        #expect(result.stderr.contains("outbox: a cancel or rollback must name its sale"))
    }
}

/// Expects `migrations` (what tools/embed-schema.sh generated) to be the `.sql` files of `folder`
/// (relative to the package root), in order and byte for byte.
func expectEmbedded(_ migrations: [(version: Int, file: String, sql: String)], areTheFilesOf folder: String) throws {
    let directory = BuiltProducts.packageRoot.appendingPathComponent(folder)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasSuffix(".sql") }.sorted()
    #expect(files == migrations.map(\.file))
    for migration in migrations {
        let text = try String(contentsOf: directory.appendingPathComponent(migration.file), encoding: .utf8)
        #expect(text == migration.sql + "\n", "run tools/embed-schema.sh after editing \(migration.file)")
    }
}
