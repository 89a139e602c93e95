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
                try other.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    try db.execute(sql: "ROLLBACK")
                }
            }
        }
    }

    @Test("a COMMIT that fails rolls the transaction back and throws: nothing written, the next write works")
    func commitFails() throws {
        let database = try TestDatabase()
        let store = try database.open()
        // A deferred foreign key is checked at COMMIT: the COMMIT fails with the transaction open.
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)")
            try db.execute(
                sql: "CREATE TEMP TABLE child (parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        }
        #expect(throws: OutboxStoreError.self) {
            try store.write { db in
                try db.execute(sql: "INSERT INTO child VALUES (42)")
                try db.execute(
                    sql: "INSERT INTO paywall_hold (credentials, until, reason, set_at, set_by) VALUES ('private', 1, 'r', 0, 'w')")
            }
        }
        #expect(try store.pool.writeWithoutTransaction { $0.isInsideTransaction } == false)
        let counts = try store.write { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.child"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM paywall_hold"))
        }
        #expect(counts.0 == 0 && counts.1 == 0)
    }

    @Test("a body that swallowed an error SQLite rolled the transaction back for does not look committed")
    func rolledBackBeforeCommit() throws {
        let database = try TestDatabase()
        let store = try database.open()
        do {
            try store.write { db in
                // What a full disk or an I/O error does: SQLite ends the transaction itself.
                try db.execute(sql: "ROLLBACK")
            }
            Issue.record("a write whose transaction was rolled back looked committed")
        } catch {
            // Said as it is, not as SQLite's "no transaction is active" from a COMMIT.
            #expect("\(error)".contains("rolled back before its COMMIT"), "\(error)")
        }
        #expect(try store.pool.writeWithoutTransaction { $0.isInsideTransaction } == false)
    }
}
