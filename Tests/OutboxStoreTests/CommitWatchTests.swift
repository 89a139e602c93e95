import Testing

@testable import OutboxStore

@Suite("CommitWatch: telling a wake-up after the store's own writes from another connection's commit")
struct CommitWatchTests {
    /// One step of a sequence: the store begins a write, a claim looks (reads the version
    /// `version`), or a wake-up asks (reading `version` if a read is needed) and expects `news`.
    enum Step {
        case ownWrite
        case claimLooks(version: Int)
        case wake(version: Int, readNeeded: Bool, news: Bool)
        /// A claim starts: whether it may leave out its read of what is due (the last wake-up was news).
        case claimStarts(expectsWork: Bool)
    }

    static let sequences: [(String, [Step])] = [
        ("the first wake-up is news (nothing to compare with)", [
            .wake(version: 1, readNeeded: true, news: true),
        ]),
        ("a wake-up after only own writes reads an unmoved version: not news", [
            .wake(version: 1, readNeeded: true, news: true),
            .ownWrite, .ownWrite,
            .wake(version: 1, readNeeded: true, news: false),
        ]),
        ("a wake-up with no own write since the last look is news without a read", [
            .wake(version: 1, readNeeded: true, news: true),
            .wake(version: 1, readNeeded: false, news: true),
        ]),
        ("a moved version after own writes is news", [
            .wake(version: 1, readNeeded: true, news: true),
            .ownWrite,
            .wake(version: 2, readNeeded: true, news: true),
        ]),
        ("a claim's look makes what it saw old news for its own commit's wake-up", [
            .wake(version: 1, readNeeded: true, news: true),
            .wake(version: 2, readNeeded: false, news: true),
            .claimLooks(version: 2), .ownWrite,
            .wake(version: 2, readNeeded: true, news: false),
        ]),
        ("a claim that wrote nothing: the next wake-up is another process's", [
            .wake(version: 1, readNeeded: true, news: true),
            .ownWrite,
            .claimLooks(version: 1),
            .wake(version: 1, readNeeded: false, news: true),
        ]),
        ("a claim after a wake-up that was news expects work, once", [
            .wake(version: 1, readNeeded: true, news: true),
            .claimStarts(expectsWork: true), .claimStarts(expectsWork: false),
            .wake(version: 1, readNeeded: false, news: true),
            .claimStarts(expectsWork: true),
        ]),
        ("a claim after a wake-up that was not news, or after none, reads what is due first", [
            .claimStarts(expectsWork: false),
            .wake(version: 1, readNeeded: true, news: true), .claimStarts(expectsWork: true),
            .claimLooks(version: 1), .ownWrite,
            .wake(version: 1, readNeeded: true, news: false),
            .claimStarts(expectsWork: false),
        ]),
        ("each own write needs its own read at the next wake-up", [
            .wake(version: 1, readNeeded: true, news: true),
            .ownWrite,
            .wake(version: 1, readNeeded: true, news: false),
            .ownWrite,
            .wake(version: 1, readNeeded: true, news: false),
        ]),
    ]

    @Test("sequences", arguments: sequences.indices)
    func sequence(index: Int) {
        let (name, steps) = Self.sequences[index]
        var watch = CommitWatch()
        for (number, step) in steps.enumerated() {
            switch step {
            case .ownWrite:
                watch.ownWritesBegun += 1
            case .claimLooks(let version):
                watch.looked(version: version, ownWritesBegun: watch.ownWritesBegun)
            case .wake(let version, let readNeeded, let news):
                let begun = watch.versionReadNeeded()
                #expect((begun != nil) == readNeeded, "\(name), step \(number): read needed")
                let answer = begun.map { watch.compare(version, begun: $0) } ?? true
                #expect(answer == news, "\(name), step \(number): news")
            case .claimStarts(let expectsWork):
                #expect(watch.takeNews() == expectsWork, "\(name), step \(number): claim expects work")
            }
        }
    }
}
