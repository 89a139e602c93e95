import Dispatch

/// Runs ``SQLiteWorkerStore``'s hot database calls (claims, group commits, the foreign-commit
/// check) on one serial dispatch queue of its own, so a task waiting for SQLite suspends instead of
/// blocking a thread of Swift's cooperative pool. That pool has one thread per core (two here):
/// with a claim and a commit each blocking one, no answer from Paywall could be handled until
/// both were done, and a drain ran one command at a time whatever `--concurrency` said.
///
/// Serial by design: SQLite has one writer at a time anyway. Work runs in the order it was
/// scheduled; the worker's group commit asks for one commit at a time, so a claim asked for while
/// answers keep coming goes between two commits.
final class StoreExecutor: Sendable {
    private let queue = DispatchQueue(label: "outbox-store-writer")

    init() {}

    /// Runs `body` on the executor's queue and returns (or throws) what it did.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Schedules `body` on the executor's queue without waiting for it.
    func schedule(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
