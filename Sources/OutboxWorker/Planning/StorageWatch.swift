/// What the worker does about the database's storage at each checkpoint: a pure decision over
/// sizes measured from the file system and a monotonic time in milliseconds (table-tested in
/// StorageWatchTests; the housekeeping tick only measures and executes).
///
/// A reader that holds an old snapshot (a report, a backup, a producer's long read) keeps SQLite
/// from checkpointing the WAL, which then grows with every write. The worker checkpoints
/// passively every `checkpointIntervalMillis`; once a checkpoint is complete (the readers let
/// go) and the `-wal` file is still larger than `truncateAboveBytes`, it truncates it. A WAL above
/// the warning threshold — the larger of `warnBytes` and `databaseMultiple` × the database
/// file — for longer than `warnAfterMillis` is a storage problem: logged once and shown in
/// `worker_status.storage_problem` until it ends.
public struct StorageWatch: Sendable {
    /// The thresholds, with the documented defaults (README "Storage", docs/worker.md).
    public struct Policy: Sendable, Hashable {
        /// How often the worker checkpoints (ms). Default 10 s.
        public var checkpointIntervalMillis: Int64 = 10_000
        /// A complete checkpoint leaving a `-wal` file larger than this (bytes) truncates it.
        /// Default: the store's `journal_size_limit`, 16 MiB.
        public var truncateAboveBytes: Int64 = 16 * 1_048_576
        /// The warning threshold's floor (bytes). Default 64 MiB.
        public var warnBytes: Int64 = 64 * 1_048_576
        /// The warning threshold as a multiple of the database file. Default 4.
        public var databaseMultiple: Int64 = 4
        /// How long the WAL must stay above the threshold before it is reported (ms). Default 60 s.
        public var warnAfterMillis: Int64 = 60_000

        public init() {}

        /// The warning threshold for a database of `databaseBytes`.
        public func threshold(databaseBytes: Int64) -> Int64 {
            let (scaled, overflow) = databaseBytes.multipliedReportingOverflow(by: databaseMultiple)
            return max(warnBytes, overflow ? Int64.max : scaled)
        }
    }

    /// One measurement: the file sizes after a passive checkpoint, and whether it was complete.
    public struct Reading: Sendable, Hashable {
        public var walBytes: Int64
        public var databaseBytes: Int64
        public var checkpointComplete: Bool
        /// Monotonic time of the reading (ms).
        public var atMillis: Int64

        public init(walBytes: Int64, databaseBytes: Int64, checkpointComplete: Bool, atMillis: Int64) {
            self.walBytes = walBytes
            self.databaseBytes = databaseBytes
            self.checkpointComplete = checkpointComplete
            self.atMillis = atMillis
        }
    }

    /// What to do after a reading.
    public struct Verdict: Sendable, Hashable {
        /// Run a truncating checkpoint now.
        public var truncate: Bool
        /// A warning that starts (log it) or nil; see ``StorageWatch/warning`` for the current one.
        public var newWarning: String?
        /// The warning that just ended (log that it cleared).
        public var cleared: String?
    }

    public let policy: Policy
    /// Since when (monotonic ms) the WAL has been above the threshold.
    public private(set) var aboveSince: Int64?
    /// The storage problem being reported, while it lasts.
    public private(set) var warning: String?

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Decides what a reading calls for, and updates the warning.
    public mutating func observe(_ reading: Reading) -> Verdict {
        var verdict = Verdict(
            truncate: reading.checkpointComplete && reading.walBytes > policy.truncateAboveBytes,
            newWarning: nil, cleared: nil)
        let threshold = policy.threshold(databaseBytes: reading.databaseBytes)
        guard reading.walBytes > threshold else {
            aboveSince = nil
            if let warning {
                verdict.cleared = warning
                self.warning = nil
            }
            return verdict
        }
        let since = aboveSince ?? reading.atMillis
        aboveSince = since
        let lasted = reading.atMillis - since
        if warning == nil && lasted >= policy.warnAfterMillis {
            let text =
                "the WAL is \(Self.mebibytes(reading.walBytes)) (threshold \(Self.mebibytes(threshold)), "
                + "database \(Self.mebibytes(reading.databaseBytes))) and has stayed above its threshold for "
                + "\(lasted / 1_000) s: a reader is holding an old snapshot (a long transaction, a backup, an open "
                + "sqlite3 shell?)"
            warning = text
            verdict.newWarning = text
        }
        return verdict
    }

    /// A size as mebibytes with one decimal, e.g. "109.2 MiB".
    static func mebibytes(_ bytes: Int64) -> String {
        let tenths = bytes * 10 / 1_048_576
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
