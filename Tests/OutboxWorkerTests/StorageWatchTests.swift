import Testing

@testable import OutboxWorker

/// ``StorageWatch``: truncation once readers let go; a warning only after the WAL has stayed
/// above its threshold for the whole delay, cleared when it falls back.
@Suite struct StorageWatchTests {
    static let mib: Int64 = 1_048_576

    struct Row: CustomTestStringConvertible, Sendable {
        var wal: Int64
        var database: Int64
        var complete: Bool
        var at: Int64
        var truncate: Bool
        var warns: Bool
        var clears: Bool
        var testDescription: String { "wal \(wal / mib) MiB db \(database / mib) MiB complete \(complete) at \(at)" }
    }

    /// One sequence of readings through one watch (defaults: 16 MiB truncation, warning above
    /// max(64 MiB, 4 × db) for 60 s).
    static let sequence: [Row] = [
        // Small WAL: nothing.
        Row(wal: 1 * mib, database: 7 * mib, complete: true, at: 0, truncate: false, warns: false, clears: false),
        // A reader pins it: it grows, incomplete checkpoints, no truncation, no warning yet.
        Row(wal: 70 * mib, database: 7 * mib, complete: false, at: 10_000, truncate: false, warns: false, clears: false),
        Row(wal: 90 * mib, database: 7 * mib, complete: false, at: 69_999, truncate: false, warns: false, clears: false),
        // 60 s above the threshold: the warning starts, once.
        Row(wal: 109 * mib, database: 7 * mib, complete: false, at: 70_000, truncate: false, warns: true, clears: false),
        Row(wal: 109 * mib, database: 7 * mib, complete: false, at: 80_000, truncate: false, warns: false, clears: false),
        // The reader lets go: the checkpoint completes, the file is truncated; still large at
        // this reading, so the warning stays until a reading below the threshold.
        Row(wal: 109 * mib, database: 7 * mib, complete: true, at: 90_000, truncate: true, warns: false, clears: false),
        Row(wal: 0, database: 7 * mib, complete: true, at: 100_000, truncate: false, warns: false, clears: true),
        // Above 16 MiB but below the warning threshold: truncated, no warning.
        Row(wal: 20 * mib, database: 7 * mib, complete: true, at: 110_000, truncate: true, warns: false, clears: false),
    ]

    @Test func aPinnedWALWarnsAfterTheDelayAndIsTruncatedOnceReadersLetGo() {
        var watch = StorageWatch()
        for row in Self.sequence {
            let verdict = watch.observe(
                .init(walBytes: row.wal, databaseBytes: row.database, checkpointComplete: row.complete, atMillis: row.at))
            #expect(verdict.truncate == row.truncate, "\(row.testDescription)")
            #expect((verdict.newWarning != nil) == row.warns, "\(row.testDescription)")
            #expect((verdict.cleared != nil) == row.clears, "\(row.testDescription)")
        }
        #expect(watch.warning == nil)
    }

    @Test func dippingBelowTheThresholdRestartsTheDelay() {
        var watch = StorageWatch()
        func see(_ wal: Int64, _ at: Int64) -> StorageWatch.Verdict {
            watch.observe(.init(walBytes: wal * Self.mib, databaseBytes: Self.mib, checkpointComplete: false, atMillis: at))
        }
        _ = see(100, 0)
        _ = see(10, 50_000)
        #expect(see(100, 60_000).newWarning == nil)
        #expect(see(100, 119_999).newWarning == nil)
        #expect(see(100, 120_000).newWarning?.contains("100.0 MiB") == true)
    }

    @Test(arguments: [
        (database: Int64(1), threshold: Int64(64)),  // the floor
        (database: Int64(16), threshold: Int64(64)),
        (database: Int64(100), threshold: Int64(400)),  // 4 × the database
    ])
    func thresholdIsTheLargerOfTheFloorAndFourTimesTheDatabase(database: Int64, threshold: Int64) {
        #expect(StorageWatch.Policy().threshold(databaseBytes: database * Self.mib) == threshold * Self.mib)
    }

    @Test func hugeDatabaseDoesNotOverflowTheThreshold() {
        #expect(StorageWatch.Policy().threshold(databaseBytes: .max / 2) == .max)
    }
}
