import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxStore

/// The operator's binary on rows no binary can use as written (Tests/Fixtures/poison-rows.sql):
/// every read and repair command works and names the unreadable column; nothing crashes.
@Suite("outbox CLI: rows with unreadable columns")
struct UnreadableRowCLITests {
    func poisonedDatabase() throws -> TestDatabase {
        let database = try TestDatabase()
        let store = try database.open()
        try store.write { try PoisonRows.insert($0) }
        return database
    }

    @Test("inspect, list, show and discard on every poison row: exit 0, the column named, no customer data")
    func everyCommand() throws {
        let database = try poisonedDatabase()
        let overview = try outbox(["inspect"], db: database.path)
        #expect(overview.status == 0, "\(overview.stderr)")
        let list = try outbox(["inspect", "list", "--json"], db: database.path)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("BLOB of 5 bytes that is not UTF-8 text"))
        for id in 1...8 {
            let show = try outbox(["inspect", "show", "\(id)"], db: database.path)
            #expect(show.status == 0, "show \(id): \(show.stderr)")
            #expect(show.stdout.contains("unreadable"), "show \(id): \(show.stdout)")
            let json = try outbox(["inspect", "show", "\(id)", "--json"], db: database.path)
            #expect(json.status == 0, "show --json \(id): \(json.stderr)")
        }
        let discard = try outbox(["discard", "1", "--yes"], db: database.path)
        #expect(discard.status == 0, "\(discard.stderr)")
        let after = try database.open()
        #expect(try after.command(id: 1)?.state == .discarded)
    }
}
