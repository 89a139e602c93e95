import Foundation
import GRDB
import OutboxStore
import OutboxTestSupport
import PropertyBased
import Testing

/// Issue 10's proof: random producer rows, written through SQLite's C API from another process
/// (`Tests/Fixtures/sqlite_row_writer.py`), against the schema alone and against the real
/// `worker --simulator` binary. Small in CI; `tools/fuzz-rows.sh` runs it longer (FuzzSettings).
/// The tests share nothing (each has its own database), so they may run side by side.
@Suite("Row fuzz: random producer rows from another process")
struct RowFuzzTests {
    /// The insert contract, row by row, with no worker: a property check over random rows.
    /// No shrinking: the body writes to a database, so running it again on the same row would
    /// not repeat what failed (and the rows carry no shrinker anyway).
    @Test("every random row is refused with an outbox: message, or stored as the producer contract says", .shrinking(false))
    func insertContract() async throws {
        let settings = FuzzSettings.current
        let database = try FuzzDatabase()
        let (writer, store) = (database.writer, database.store)
        let reader = try DatabaseQueue(path: database.path)

        // A few sales for follow-ups to name and for duplicate keys.
        var context = FuzzContext()
        var rng = FuzzSeed.rng(settings.seed)
        let tally = Tally()
        for _ in 0..<3 {
            let sale = FuzzRows.controlSale(&rng)
            #expect(try await writer.write([sale])[0].id != nil)
            if let key = Self.textKey(sale), let unique = RefusalCheck.uniqueKey(sale) {
                context.saleKeys.append(key)
                context.keys.append(key)
                tally.storedKeys.insert(unique)
            }
        }

        await propertyCheck(count: settings.contractRows, input: FuzzRows.generator(context)) { row in
            let result = try await writer.write([row])[0]
            let keyTaken = RefusalCheck.uniqueKey(row).map { tally.storedKeys.contains($0) } ?? false
            tally.count(result)
            if let problem = RefusalCheck.problem(result, row: row, keyTaken: keyTaken) {
                Issue.record("\(problem)\nrow: \(row)")
                return
            }
            guard result.ok else { return }
            guard let id = result.id else {
                #expect(keyTaken || row.value("id") != nil, "skipped although nothing conflicts: \(row)")
                return
            }
            if let unique = RefusalCheck.uniqueKey(row) { tally.storedKeys.insert(unique) }
            let found = try await reader.read { try ContractCheck.check($0, id: id) }
            #expect(found.unexpected.isEmpty, "stored against the contract: \(found.unexpected)\nrow: \(row)")
            tally.gaps.append(contentsOf: found.knownGaps.map { "\($0) — row: \(row)" })
            // The product reads every stored row without stopping, and sees the key it holds; a
            // column SQL cannot check is read as a defect, never repaired into other text.
            let command = try #require(try store.command(id: id))
            #expect(
                Set(command.defects.map(\.column)) == found.unreadable,
                "the product reads defects \(command.defects), expected in \(found.unreadable)\nrow: \(row)")
            if command.commandKey.utf8.count != 36 || command.defects.contains(where: { !found.unreadable.contains($0.column) }) {
                tally.gaps.append("the product reads key \(SQLValue.abbreviate(command.commandKey)) — row: \(row)")
            }
        }
        print("row fuzz (contract): \(tally.summary)")
        // Rows schema 003 accepts though the contract says otherwise: recorded as known issues
        // (a fix needs a new migration); any other breach fails above.
        if !tally.gaps.isEmpty {
            withKnownIssue("stored against the contract (README, Known gap)", isIntermittent: true) {
                for gap in tally.gaps.prefix(3) { Issue.record("\(gap)") }
            }
        }
        await database.finish()
    }

    /// A producer's `INSERT OR REPLACE` (or `REPLACE INTO`) over a queued command: SQLite deletes
    /// the conflicting row without running delete triggers (recursive_triggers is off), so until
    /// schema 5 it silently replaced a queued sale by whatever the new row said. Schema 5's
    /// `outbox_one_command_per_key` sees the key taken before the delete: a different command is
    /// refused, the same one changes nothing, whatever the statement's conflict clause.
    @Test("INSERT OR REPLACE over a queued command: refused when it differs, nothing changed when it is the same", arguments: InsertVerb.allCases)
    func oneCommandPerKey(verb: InsertVerb) async throws {
        let database = try FuzzDatabase()
        let (writer, store) = (database.writer, database.store)
        var rng = FuzzSeed.rng(1)
        let sale = FuzzRows.controlSale(&rng)
        let first = try #require(try await writer.write([sale])[0].id)
        let before = try #require(try store.command(id: first))

        var different = sale
        different.verb = verb
        different.set("kind", .text("async_pair_request"))
        different.set("payload", .text(#"{"TerminalTagCode":"OTHER"}"#))
        var samePayloadOtherKind = sale
        samePayloadOtherKind.verb = verb
        samePayloadOtherKind.set("kind", .text("sync_sale"))
        var same = sale
        same.verb = verb
        let results = try await writer.write([different, samePayloadOtherKind, same])
        for refused in results[0..<2] {
            #expect(
                !refused.ok && refused.error?.hasPrefix("outbox: command_key is already queued for a different command") == true,
                "\(refused)")
        }
        #expect(results[2].ok && results[2].id == nil, "the same command again is a no-op: \(results[2])")
        let after = try #require(try store.command(id: first))
        #expect(after == before, "the queued sale is untouched")
        #expect(try store.list(CommandFilter(limit: 10)).count == 1)
        await database.finish()
    }

    /// An explicit `id`: with INSERT OR REPLACE it named another command's row, which SQLite
    /// deleted (the worker run found a queued command replaced so); schema 5 refuses any id a
    /// statement writes, -1 and 0 included, whatever the conflict clause.
    @Test("an id written by a producer is refused, and the row it names is untouched", arguments: InsertVerb.allCases)
    func explicitIdIsRefused(verb: InsertVerb) async throws {
        let database = try FuzzDatabase()
        let (writer, store) = (database.writer, database.store)
        var rng = FuzzSeed.rng(2)
        let first = try #require(try await writer.write([FuzzRows.controlSale(&rng)])[0].id)
        let before = try #require(try store.command(id: first))
        var rows: [FuzzRow] = []
        for id in [first, first + 1, -1, 0] {
            var row = FuzzRows.controlSale(&rng)
            row.verb = verb
            row.columns.insert(("id", .integer(id)), at: 0)
            rows.append(row)
        }
        let results = try await writer.write(rows)
        for result in results {
            #expect(!result.ok && result.error == "outbox: id is assigned by SQLite; a producer never writes it", "\(result)")
        }
        #expect(try store.command(id: first) == before)
        #expect(try store.list(CommandFilter(limit: 10)).count == 1)
        await database.finish()
    }

    /// A NUL after the GUID: GLOB and length() read text only up to a NUL; the UNIQUE index's
    /// NOCASE comparison also stops there but counts the lengths, so `K`, `K\0` and `K\0x` are
    /// three keys to SQLite, and one to every reader that stops at the NUL (GRDB, the worker).
    @Test("a NUL after a GUID key (once a hole: one key queued three times) is refused")
    func nulAfterKeyQueuesThreeTimes() async throws {
        let database = try FuzzDatabase()
        let (writer, store) = (database.writer, database.store)
        let key = "6f1c2a3e-0000-4000-8000-0000000000ab"
        var rows: [FuzzRow] = []
        for suffix in ["", "\u{0}", "\u{0}x"] {
            var row = FuzzRow()
            row.set("command_key", .text(key + suffix))
            row.set("kind", .text("marketplace_approve"))
            row.set("payload", .text(#"{"PaymentId":7}"#))
            rows.append(row)
        }
        let results = try await writer.write(rows)
        #expect(results[0].id != nil)
        // Schema 5 refuses a NUL in any text column a producer writes.
        #expect(
            results.dropFirst().allSatisfy { !$0.ok && $0.error?.hasPrefix("outbox: text must not contain a NUL") == true },
            "\(results)")
        // What the worker reads: every one as the same 36-character key.
        let keys = try results.compactMap(\.id).compactMap { try store.command(id: $0)?.commandKey }
        withKnownIssue("the product reads all of them as \(key)", isIntermittent: true) {
            #expect(Set(keys).count == keys.count, "\(keys)")
        }
        await database.finish()
    }

    static func textKey(_ row: FuzzRow) -> String? {
        if case .text(let key)? = row.value("command_key") { return key }
        return nil
    }
}

/// A fresh, migrated database in its own folder, and a writer process on it.
struct FuzzDatabase {
    let directory: URL
    let path: String
    let store: OutboxStore
    let writer: RowWriter

    init() throws {
        directory = try temporaryDirectory()
        path = directory.appendingPathComponent("outbox.sqlite").path
        store = try OutboxStore(OutboxStoreConfiguration(path: path))  // creates and migrates it
        writer = try RowWriter(databasePath: path)
    }

    /// The writer must exit 0 (it stops with a traceback on anything it cannot handle).
    func finish() async {
        #expect(await writer.finish() == 0, "\(writer.stderr)")
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Counts and findings of one run (written from the property check's body).
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var _stored = 0
    private var _skipped = 0
    private var _refusals: [String: Int] = [:]
    private var _storedKeys: Set<String> = []
    private var _gaps: [String] = []

    var storedKeys: Set<String> {
        get { lock.withLock { _storedKeys } }
        set { lock.withLock { _storedKeys = newValue } }
    }

    var gaps: [String] {
        get { lock.withLock { _gaps } }
        set { lock.withLock { _gaps = newValue } }
    }

    var refusals: [String: Int] { lock.withLock { _refusals } }

    func count(_ result: WriteResult) {
        lock.withLock {
            if !result.ok {
                // One bucket per trigger line: the message up to its first parenthesis.
                let message = result.error ?? "?"
                let bucket = String((message.split(separator: "(").first ?? "").prefix(70))
                _refusals[bucket, default: 0] += 1
            } else if result.id == nil {
                _skipped += 1
            } else {
                _stored += 1
            }
        }
    }

    var summary: String {
        lock.withLock {
            let refused = _refusals.values.reduce(0, +)
            let top = _refusals.sorted { $0.value > $1.value }.prefix(8).map { "\($0.value)× \($0.key)" }
            return "\(_stored) stored, \(_skipped) skipped, \(refused) refused (\(top.joined(separator: "; "))), "
                + "\(_gaps.count) known-gap rows"
        }
    }
}

/// The producer contract (README, "What the database refuses") checked on a stored row.
enum ContractCheck {
    static let kinds: Set<String> = [
        "async_sale", "sync_sale", "async_cancel", "sync_cancel", "sync_sale_rollback", "sync_cancel_rollback",
        "async_pair_request", "async_pair_confirm", "sync_pair_request", "marketplace_approve",
    ]

    /// `unexpected`: breaches nothing explains; `knownGaps`: NUL inside text; `unreadable`: columns
    /// the schema stores but the product must read as defects (a payload TEXT that is not UTF-8:
    /// SQL has no way to check it, so the worker ends such a row `failed / unreadable_row`).
    static func check(_ db: Database, id: Int64) throws -> (
        unexpected: [String], knownGaps: [String], unreadable: Set<String>
    ) {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT typeof(command_key), CAST(command_key AS BLOB), typeof(kind), CAST(kind AS BLOB),
                           typeof(payload), CAST(payload AS BLOB), typeof(sale_key), CAST(sale_key AS BLOB),
                           typeof(payment_request_id), CAST(payment_request_id AS BLOB),
                           typeof(not_before), not_before, typeof(deadline), deadline, typeof(created_at), created_at,
                           state, generation, attempts, due_at, needs_reconcile,
                           coalesce(lease_owner, lease_expires_at, last_error, paywall_payment_request_id, accepted_at,
                                    finished_at, updated_at) IS NULL,
                           json_valid(payload) AND json_type(payload) = 'object'
                      FROM outbox WHERE id = ?
                    """, arguments: [id])
        else { return (["row \(id) is not stored"], [], []) }
        var unexpected: [String] = []
        var unreadable: Set<String> = []
        var gaps: [String] = []
        func bytes(_ index: Int) -> [UInt8] {
            if case .blob(let data) = (row[index] as DatabaseValue).storage { return Array(data) }
            return []
        }
        func type(_ index: Int) -> String { String.fromDatabaseValue(row[index] as DatabaseValue) ?? "?" }
        func guidText(_ name: String, typeIndex: Int, optional: Bool) {
            let t = type(typeIndex)
            if t == "null" {
                if !optional { unexpected.append("\(name) is NULL") }
                return
            }
            guard t == "text" else { return unexpected.append("\(name) is \(t)") }
            let value = bytes(typeIndex + 1)
            if value.contains(0) {
                gaps.append("\(name) holds a NUL (\(value.count) bytes)")
            } else if !isGUID(value) {
                unexpected.append("\(name) is not a GUID: \(SQLValue.hex(value))")
            }
        }
        guidText("command_key", typeIndex: 0, optional: false)
        guidText("sale_key", typeIndex: 6, optional: true)
        guidText("payment_request_id", typeIndex: 8, optional: true)
        if type(2) != "text" || !kinds.contains(String(decoding: bytes(3), as: UTF8.self)) {
            unexpected.append("kind \(type(2)) \(SQLValue.hex(bytes(3)))")
        }
        let payload = bytes(5)
        if type(4) != "text" { unexpected.append("payload is \(type(4))") }
        if payload.count > 65_536 { unexpected.append("payload of \(payload.count) bytes") }
        if row[22] as Int64? != 1 { unexpected.append("payload is not a JSON object") }
        if payload.contains(0) { gaps.append("payload holds a NUL") }
        if String(validating: payload, as: UTF8.self) == nil { unreadable.insert("payload") }
        for (name, index, optional) in [("not_before", 10, true), ("deadline", 12, true), ("created_at", 14, false)] {
            let t = type(index)
            if t == "null" && optional { continue }
            let value = (row[index + 1] as DatabaseValue).storage
            guard t == "integer", case .int64(let ms) = value, (FuzzRows.earliest..<FuzzRows.latest).contains(ms) else {
                unexpected.append("\(name) is \(t) \(row[index + 1] as DatabaseValue)")
                continue
            }
        }
        let defaults: [(String, DatabaseValue)] = [
            ("state", "pending".databaseValue), ("generation", 1.databaseValue), ("attempts", 0.databaseValue),
            ("due_at", 0.databaseValue), ("needs_reconcile", 0.databaseValue), ("worker columns NULL", 1.databaseValue),
        ]
        for (offset, (name, expected)) in defaults.enumerated() where (row[16 + offset] as DatabaseValue) != expected {
            unexpected.append("\(name) = \(row[16 + offset] as DatabaseValue)")
        }
        return (unexpected, gaps, unreadable)
    }

    static func isGUID(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(byte >= 0x30 && byte <= 0x39 || byte >= 0x41 && byte <= 0x46 || byte >= 0x61 && byte <= 0x66) {
                return false
            }
        }
        return true
    }
}
