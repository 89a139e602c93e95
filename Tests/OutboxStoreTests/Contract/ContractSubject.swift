import Foundation
import OutboxModel
import Testing

@testable import OutboxStore

/// One implementation of the store contract under test, with what the contract suite needs
/// besides the contract itself: a producer's INSERT and the merchant's and operator's reads.
struct ContractStore: Sendable {
    let store: any WorkerStore
    let enqueue: @Sendable (NewCommand, EpochMillis) throws -> Int64
    let inbox: @Sendable (_ after: Int64) throws -> [InboxRow]
    let attempts: @Sendable (_ commandID: Int64) throws -> [AttemptRow]
}

/// An engine the contract suite runs against (a test argument).
struct ContractSubject: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () throws -> ContractStore

    var testDescription: String { name }

    /// A fresh SQLite file (the embedded default).
    static let sqlite = ContractSubject(name: "SQLite") {
        let store = try TestDatabase().open()
        return ContractStore(
            store: SQLiteWorkerStore(store),
            enqueue: { command, now in
                var command = command
                command.createdAt = command.createdAt ?? now
                return try store.enqueue(command).id
            },
            inbox: { try store.inbox(after: $0, limit: 100_000) },
            attempts: { try store.detail(id: $0)?.attempts ?? [] })
    }

    /// The in-memory store.
    static let memory = ContractSubject(name: "memory") {
        let store = MemoryWorkerStore()
        return ContractStore(
            store: store, enqueue: { store.enqueue($0, now: $1).id }, inbox: { store.inbox(after: $0) },
            attempts: { store.attempts(commandID: $0) })
    }

    /// Every engine this machine can run.
    static let all: [ContractSubject] = [.sqlite, .memory]
}
