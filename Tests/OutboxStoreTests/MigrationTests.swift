import Foundation
import GRDB
import Testing

@testable import OutboxStore

@Suite("Store: opening and migrating")
struct MigrationTests {
    @Test("a new file is created at the latest version; opening again changes nothing")
    func createAndReopen() throws {
        let database = try TestDatabase()
        let store = try database.open()
        #expect(try store.schemaVersion() == OutboxStore.latestSchemaVersion)
        let id = try store.enqueue(Sample.sale()).id
        let again = try database.open()
        #expect(try again.command(id: id) != nil)
        #expect(try SchemaMigrator.migrate(again.pool).isEmpty)
    }

    @Test("a database newer than the binary is refused with a clear message")
    func refuseNewer() throws {
        let database = try TestDatabase()
        let store = try database.open()
        try store.pool.write { try $0.execute(sql: "PRAGMA user_version = 99") }
        let error = #expect(throws: OutboxStoreError.self) { try database.open() }
        #expect(error?.code == .schemaTooNew)
        #expect(error?.message.contains("schema version 99") == true)
    }

    @Test("an old schema is migrated only when allowed")
    func oldSchemaNeedsPermission() throws {
        let database = try TestDatabase()
        let queue = try DatabaseQueue(path: database.path)
        try queue.write { try $0.execute(sql: "CREATE TABLE unrelated (x)") }
        let error = #expect(throws: OutboxStoreError.self) { try database.open { $0.migrate = false } }
        #expect(error?.code == .schemaTooOld)
        #expect(try database.open().schemaVersion() == OutboxStore.latestSchemaVersion)
    }

    @Test("read-only openers never create a file")
    func readOnlyMissing() throws {
        let database = try TestDatabase()
        let error = #expect(throws: OutboxStoreError.self) { try database.open { $0.readOnly = true } }
        #expect(error?.code == .notFound)
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }

    /// The busy wait is the product's own handler (BusyWaitTests), which `PRAGMA busy_timeout`
    /// does not show.
    @Test("connections use WAL and the chosen synchronous level")
    func pragmas() throws {
        let store = try TestDatabase().open { $0.synchronous = .full }
        let (journal, synchronous) = try store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal" && synchronous == 2)
    }
}
