import Testing

@testable import OutboxStore

@Suite("CommitWatch: telling a burst of file events after the store's own writes from another connection's commit")
struct CommitWatchTests {
    /// One step of a sequence, in the order things happen in the store and the watcher thread.
    enum Step {
        /// A write of the store begins, or ends.
        case ownBegins, ownEnds
        /// A whole write of the store (begins and ends).
        case own
        /// A producer's INSERT made through the store (the demo): an own write that is news.
        case producerWrite
        /// The watcher is about to read a burst of events (takes its mark).
        case watcherReads
        /// The watcher read the burst: whether it needs the locked read of the version (which
        /// finds `version`), and whether the dispatcher is woken.
        case watcherDecides(version: Int, readNeeded: Bool, news: Bool)
        /// A claim read the version `version`.
        case claimLooks(version: Int)
        /// A claim starts: whether it may leave out its read of what is due (the last burst was news).
        case claimStarts(expectsWork: Bool)
    }

    /// A burst read with no write of the store under way: the mark, then the decision.
    static func burst(version: Int, readNeeded: Bool, news: Bool) -> [Step] {
        [.watcherReads, .watcherDecides(version: version, readNeeded: readNeeded, news: news)]
    }

    static let sequences: [(String, [Step])] = [
        ("a burst with no write of the store at all is another connection's: news without a read",
         burst(version: 0, readNeeded: false, news: true)),
        ("the first read after own writes has nothing to compare with: news",
         [.own] + burst(version: 1, readNeeded: true, news: true)),
        ("only own writes since: the locked read finds the version unmoved, not news",
         [.own] + burst(version: 1, readNeeded: true, news: true)
            + [.own, .own] + burst(version: 1, readNeeded: true, news: false)),
        ("a moved version after own writes is news",
         [.own] + burst(version: 1, readNeeded: true, news: true)
            + [.own] + burst(version: 2, readNeeded: true, news: true)),
        ("a burst after the previous one with no own write between is news without a read",
         [.own] + burst(version: 1, readNeeded: true, news: true)
            + burst(version: 1, readNeeded: false, news: true)),
        ("events of an own write that ended while the previous burst was read need a read: not news", [
            .own] + burst(version: 1, readNeeded: true, news: true) + [
            .ownBegins, .watcherReads, .ownEnds,
            .watcherDecides(version: 1, readNeeded: true, news: false),
            // The rest of that write's events, read in the next burst.
            .watcherReads, .watcherDecides(version: 1, readNeeded: true, news: false),
            // Then nothing of the store's: another connection's.
            .watcherReads, .watcherDecides(version: 1, readNeeded: false, news: true),
        ]),
        ("an own write under way while a burst is read makes the next one need a read", [
            .ownBegins] + burst(version: 1, readNeeded: true, news: true)
            + burst(version: 1, readNeeded: true, news: false) + [
            .ownEnds] + burst(version: 1, readNeeded: true, news: false)
            + burst(version: 1, readNeeded: false, news: true)),
        ("a claim's look makes what it saw old news for its own commit's events",
         burst(version: 0, readNeeded: false, news: true)
            + [.claimLooks(version: 2), .own] + burst(version: 2, readNeeded: true, news: false)),
        ("a version lower than one already seen is not news (a read that raced a claim's)",
         [.claimLooks(version: 3), .own] + burst(version: 2, readNeeded: true, news: false)),
        ("a producer's INSERT through the store is news though the version does not move",
         [.own] + burst(version: 1, readNeeded: true, news: true)
            + [.producerWrite] + burst(version: 1, readNeeded: false, news: true)
            + [.own] + burst(version: 1, readNeeded: true, news: false)),
        ("a claim after a burst that was news expects work, once", [
            .own] + burst(version: 1, readNeeded: true, news: true) + [
            .claimStarts(expectsWork: true), .claimStarts(expectsWork: false)]
            + burst(version: 1, readNeeded: false, news: true) + [.claimStarts(expectsWork: true)]),
        ("a claim after a burst that was not news, or after none, reads what is due first", [
            .claimStarts(expectsWork: false), .own] + burst(version: 1, readNeeded: true, news: true) + [
            .claimStarts(expectsWork: true), .claimLooks(version: 1), .own]
            + burst(version: 1, readNeeded: true, news: false) + [.claimStarts(expectsWork: false)]),
    ]

    @Test("sequences", arguments: sequences.indices)
    func sequence(index: Int) {
        let (name, steps) = Self.sequences[index]
        var watch = CommitWatch()
        var mark = 0
        for (number, step) in steps.enumerated() {
            switch step {
            case .ownBegins: watch.ownWritesBegun += 1
            case .ownEnds: watch.ownWritesDone += 1
            case .own:
                watch.ownWritesBegun += 1
                watch.ownWritesDone += 1
            case .producerWrite:
                watch.ownWritesBegun += 1
                watch.producerWrite = true
                watch.ownWritesDone += 1
            case .watcherReads:
                mark = watch.ownWritesDone
            case .watcherDecides(let version, let readNeeded, let news):
                let verdict = watch.burstRead(ownWritesDoneBefore: mark)
                #expect((verdict == .readVersion) == readNeeded, "\(name), step \(number): read needed")
                let answer = verdict == .readVersion ? watch.compare(version) : true
                #expect(answer == news, "\(name), step \(number): news")
            case .claimLooks(let version):
                watch.looked(version: version)
            case .claimStarts(let expectsWork):
                #expect(watch.takeNews() == expectsWork, "\(name), step \(number): claim expects work")
            }
        }
    }
}
