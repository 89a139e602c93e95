import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

/// Rows holding values no binary can use: every read path returns them with the defects named
/// instead of stopping the process (GRDB's typed subscripts trap and print the whole row).
@Suite("Store: rows that cannot be read as written")
struct UnreadableRowTests {
    /// Inserts `Tests/Fixtures/poison-rows.sql` with the insert triggers dropped, as a database
    /// from before schema 003 could hold them. Returns the number of rows inserted.
    static func insertPoisonRows(_ store: OutboxStore) throws -> Int {
        try store.write { try PoisonRows.insert($0) }
    }

    @Test("claim returns every poison row with its defect named; nothing traps")
    func claimNames() throws {
        let store = try TestDatabase().open()
        #expect(try Self.insertPoisonRows(store) == 8)
        let now = SystemWallClock().now()
        let claimed = try store.claim(owner: "w", now: now, limit: 100, leaseMillis: 10_000)
        #expect(claimed.count == 8)
        let columns = claimed.map { Set($0.defects.map(\.column)) }
        #expect(columns == [["command_key"], ["payload"], ["created_at"], ["not_before"], ["created_at"], ["kind"], ["deadline"], ["payload"]])
        // Placeholders are safe to print and never contain the stored bytes.
        #expect(claimed[0].commandKey == "<unreadable 5-byte BLOB>")
        #expect(claimed[1].defects[0].problem == "BLOB of 4 bytes that is not UTF-8 text")
        // TEXT that is not UTF-8 is a defect, not text repaired into U+FFFD.
        #expect(claimed[7].defects[0].problem == "TEXT of 25 bytes that is not UTF-8")
        #expect(claimed[2].createdAt == EpochRange.earliest && claimed[3].notBefore == nil)
    }

    @Test("operator reads (find, list, overview, detail) show poison rows")
    func operatorReads() throws {
        let store = try TestDatabase().open()
        _ = try Self.insertPoisonRows(store)
        let now = SystemWallClock().now()
        #expect(try store.list(CommandFilter(limit: 100)).count == 8)
        #expect(try store.find(reference: "0f000000").count == 7)
        let overview = try store.overview(now: now, troubleSince: 0)
        #expect(overview.counts.map(\.count).reduce(0, +) == 8)
        for id in Int64(1)...8 {
            let detail = try #require(try store.detail(id: id))
            #expect(!detail.command.defects.isEmpty)
        }
    }

    @Test("a payload holding a NUL (stored before schema 5) is a defect, never read as the text before it")
    func nulInsidePayload() throws {
        let store = try TestDatabase().open()
        let id = try store.write { db -> Int64 in
            for trigger in try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outbox' AND name LIKE '%insert%'")
            {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try db.execute(
                sql: """
                    INSERT INTO outbox (command_key, kind, payload)
                    VALUES ('0f000000-0000-4000-8000-0000000000aa', 'marketplace_approve', '{"PaymentId":1}' || char(0) || 'junk')
                    """)
            return db.lastInsertedRowID
        }
        let command = try #require(try store.command(id: id))
        #expect(command.defects.map(\.column) == ["payload"])
        #expect(command.defects.first?.problem == "TEXT of 20 bytes with a NUL character")
    }

    @Test("a clean row has no defects")
    func cleanRow() throws {
        let store = try TestDatabase().open()
        let id = try store.enqueue(Sample.sale()).id
        #expect(try store.command(id: id)?.defects == [])
    }
}
