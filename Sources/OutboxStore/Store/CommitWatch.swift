import Synchronization

/// What the SQLite store knows about commits to its file, so that the worker's change watcher
/// can tell another connection's commit from the store's own writes on its own thread, before it
/// wakes the dispatcher (``LocalFileStorage/changeBurstBegins()``,
/// ``LocalFileStorage/changeBurstIsNews(ownWritesDoneBefore:)``).
///
/// Three facts.
/// - Only the holder of SQLite's write lock appends to the WAL, and the file events of a write are
///   queued (inotify) during its `write(2)` calls, so before the write returns. The store counts
///   each of its writes when it begins and when it ends (``OutboxStore/asOwnWrite(_:)``). So if
///   every write of the store that began had ended before the watcher started reading its
///   previous burst of events, the events it reads now cannot be the store's: they are another
///   connection's (a commit, perhaps still under way, or a checkpoint) and the burst is news
///   without a read.
/// - Otherwise the events may be the store's own. `PRAGMA data_version` on the store's single
///   writer connection moves only when another connection commits, never for the store's own
///   commits (SQLite's definition). The watcher reads it while holding the write lock (an empty
///   `BEGIN IMMEDIATE` … `ROLLBACK`, which writes nothing): a commit whose frames it saw being
///   written has then ended, so the read cannot miss it. The burst is news when the version
///   moved past the highest one seen.
/// - The claim reads the version too (``looked(version:)``), so what it claimed is old news for
///   the events of its own commit.
///
/// Miscounting can only cost work, never a command: the only verdict that wakes nobody is a
/// locked read that saw no other commit, and a claim records the version it saw only once it has
/// committed (one that failed leaves the commits it saw news for the watcher's next read). A
/// read that fails wakes the dispatcher. A producer's INSERT made through this store
/// (``OutboxStore/enqueue(_:)``: the demo) is news for the next burst, as another process's
/// would be, though the version does not move for it.
struct CommitWatch: Sendable {
    /// Writes of this store begun so far.
    var ownWritesBegun = 0
    /// Writes of this store ended so far (committed, rolled back or failed).
    var ownWritesDone = 0
    /// `ownWritesDone` when the watcher began reading its previous burst of events.
    var doneBeforeLastBurst = 0
    /// The highest `PRAGMA data_version` of the writer connection seen; nil before the first look.
    var version: Int?
    /// The last burst was news and no claim has run since: the next claim expects work.
    var news = false
    /// A producer's INSERT was made through this store since the last burst.
    var producerWrite = false

    /// What a burst of file events needs before the dispatcher is woken or not.
    enum BurstVerdict: Sendable, Hashable {
        /// Another connection's: wake the dispatcher, no read.
        case news
        /// Perhaps the store's own: read the version under the write lock, then ``compare(_:)``.
        case readVersion
    }

    /// The watcher read a burst of events touching the database's files, having taken
    /// `doneBefore` (``ownWritesDone``) just before it began reading them.
    mutating func burstRead(ownWritesDoneBefore doneBefore: Int) -> BurstVerdict {
        // Writes that may have written since the previous burst began to be read: every write
        // begun that had not ended by then.
        let mayBeOwn = ownWritesBegun != doneBeforeLastBurst
        doneBeforeLastBurst = doneBefore
        if producerWrite || !mayBeOwn {
            producerWrite = false
            news = true
            return .news
        }
        return .readVersion
    }

    /// A version read under the write lock for a burst: whether another connection committed
    /// since the highest version seen (true also when there was none to compare with).
    mutating func compare(_ read: Int) -> Bool {
        let moved = version.map { read > $0 } ?? true
        looked(version: read)
        if moved { news = true }
        return moved
    }

    /// A claim read `version`: what it saw is not news any more. (The version only grows.)
    mutating func looked(version read: Int) {
        version = max(version ?? read, read)
    }

    /// Whether the last burst was news (so the claim that follows leaves out its read of what
    /// is due), cleared for the next claim.
    mutating func takeNews() -> Bool {
        defer { news = false }
        return news
    }
}
