import Foundation
import GRDB
import OutboxStore
import Testing

@testable import OutboxWorker

/// A reader holding an old snapshot while commands flow: the WAL grows, the worker reports it
/// in `worker_status` (bytes, and a storage problem once it has stayed too large), and once the
/// reader lets go the WAL is truncated and the problem cleared.
@Suite(.serialized) struct PinnedWALTests {
    /// A read transaction held open on its own thread (as a report or a backup would), until
    /// ``release()``.
    final class SnapshotHolder: @unchecked Sendable {
        private let started = DispatchSemaphore(value: 0)
        private let letGo = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)

        init(path: String) {
            Thread.detachNewThread { [self] in
                do {
                    let queue = try DatabaseQueue(path: path)
                    try queue.read { db in
                        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM worker_status")
                        started.signal()
                        letGo.wait()
                    }
                } catch {
                    started.signal()
                }
                finished.signal()
            }
            started.wait()
        }

        func release() {
            letGo.signal()
            finished.wait()
        }
    }

    @Test func aPinnedWALIsReportedAndTruncatedOnceTheReaderLetsGo() async throws {
        let harness = try await WorkerHarness(adjust: { configuration in
            configuration.storage.checkpointIntervalMillis = 20
            configuration.storage.truncateAboveBytes = 64 * 1_024
            configuration.storage.warnBytes = 512 * 1_024
            configuration.storage.databaseMultiple = 1
            configuration.storage.warnAfterMillis = 200
        })
        defer { Task { await harness.finish() } }
        try await harness.withWorker { _ in
            let store = harness.store
            let holder = SnapshotHolder(path: harness.path)
            // Writes while the snapshot is held cannot be checkpointed: the WAL grows.
            for _ in 0..<400 {
                let key = Payloads.key()
                _ = try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: Payloads.sale(key)))
            }
            try await harness.eventually("the worker reports a storage problem", timeout: .seconds(60)) {
                try store.workerStatuses().first?.storageProblem?.contains("WAL") == true
            }
            let pinned = try #require(try store.workerStatuses().first)
            #expect((pinned.walBytes ?? 0) > 512 * 1_024, "wal_bytes \(pinned.walBytes ?? -1)")
            #expect((pinned.databaseBytes ?? 0) > 0)

            holder.release()
            try await harness.eventually("the problem clears and the WAL is truncated", timeout: .seconds(60)) {
                let status = try store.workerStatuses().first
                let wal = store.storageSizes().walBytes ?? .max
                return status?.storageProblem == nil && wal <= 64 * 1_024
            }
        }
    }
}
