import Synchronization

/// What the SQLite store knows about commits to its file, so that a wake-up of the worker's
/// change watcher can be told apart without a database read when it cannot be the store's own
/// (``SQLiteWorkerStore/othersCommittedSinceLastLook()``).
///
/// Two facts. `PRAGMA data_version` on the store's single writer connection moves only when
/// another connection commits, never for that connection's own commits (SQLite's definition).
/// And every write of this store goes through that connection and counts itself here before it
/// starts (``OutboxStore/noteOwnWrite()``). So when no write of this store began since the last
/// look, a wake-up can only come from another process: it needs no read to be believed. When one
/// did, the version is read and compared.
///
/// Miscounting can only cost work, never a command: a write that forgot to count itself makes
/// its own wake-up look foreign (one claim that finds nothing). The claim itself records what it
/// saw (``looked(version:ownWritesBegun:)``), so its own commit is not taken for news; a claim
/// that looked and then failed, or claimed fewer than were due (a probe, a ramp), leaves the rest
/// to the next claim (the next event or tick), as before. A producer's INSERT made through this
/// store (``OutboxStore/enqueue(_:)``: the demo) is news for the next look, as another
/// process's would be.
struct CommitWatch: Sendable {
    /// Writes of this store begun so far.
    var ownWritesBegun = 0
    /// `ownWritesBegun` when the last look read the version; -1 before the first look.
    var ownWritesAtLook = -1
    /// `PRAGMA data_version` of the writer connection at the last look; nil before the first.
    var version: Int?
    /// The last wake-up was news and no claim has run since: the next claim expects work.
    var news = false
    /// A producer's INSERT was made through this store since the last look.
    var producerWrite = false

    /// A look read `version` when `ownWritesBegun` writes had begun (counted before the read).
    mutating func looked(version: Int, ownWritesBegun begun: Int) {
        self.version = version
        ownWritesAtLook = begun
    }

    /// Whether a wake-up needs the version read: nil when no write of this store began since the
    /// last look (the wake-up is another connection's: news); otherwise the count of writes begun,
    /// taken before the read, so a write that begins during it is seen at the next look.
    mutating func versionReadNeeded() -> Int? {
        guard ownWritesBegun != ownWritesAtLook, !producerWrite else {
            // Its count stays behind: the next wake-up reads the version again.
            producerWrite = false
            news = true
            return nil
        }
        return ownWritesBegun
    }

    /// The version read for a wake-up: whether it moved since the last look (true also when there
    /// was none to compare with).
    mutating func compare(_ read: Int, begun: Int) -> Bool {
        defer { looked(version: read, ownWritesBegun: begun) }
        if version != read { news = true }
        return version != read
    }

    /// Whether the last wake-up was news (so the claim that follows leaves out its read of what
    /// is due), cleared for the next claim.
    mutating func takeNews() -> Bool {
        defer { news = false }
        return news
    }
}
