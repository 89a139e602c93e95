import Foundation
import GRDB
import OutboxModel
import Testing

@testable import OutboxStore

/// ``OutboxStore/immediateTransaction(_:_:)``: the store's own BEGIN IMMEDIATE … COMMIT.
@Suite("Store: write transactions")
struct WriteTransactionTests {
    struct Refused: Error {}

    @Test("a write is all or nothing: a body that throws leaves nothing, and the next write works")
    func allOrNothing() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let key = Sample.guid()
        #expect(throws: OutboxStoreError.self) {
            try store.write { db in
                try db.execute(
                    sql: "INSERT INTO paywall_hold (credentials, until, reason, set_by, set_at) VALUES ('private', 1, 'r', 'w', 0)")
                throw Refused()
            }
        }
        #expect(try store.write { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM paywall_hold") } == 0)
        #expect(try store.pool.writeWithoutTransaction { $0.isInsideTransaction } == false)
        _ = try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Sample.salePayload(key: key)))
        #expect(try store.write { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") } == 1)
    }

    @Test("a write holds the write lock from its start: another connection cannot write inside it")
    func immediate() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let other = try DatabaseQueue(path: database.path)
        try store.write { _ in
            // Nothing written yet, and still the lock is taken (BEGIN IMMEDIATE, not DEFERRED).
            #expect(throws: DatabaseError.self) {
                try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            }
        }
    }
}
