import Testing

@testable import OutboxWorker

@Suite("QuietTicks: which idle ticks do the chores")
struct QuietTicksTests {
    enum Step {
        /// A tick; whether it must do the chores.
        case tick(full: Bool)
        /// A full tick's finding.
        case found(live: Bool, busy: Bool)
        /// A wake-up that is news, or a command or read ending.
        case activity
    }

    static let sequences: [(String, Bool, [Step])] = [
        ("every tick is full until a full tick finds nothing live", true, [
            .tick(full: true), .tick(full: true), .found(live: true, busy: false), .tick(full: true),
        ]),
        ("quiet: three ticks check only the file, the fourth does the chores", true, [
            .tick(full: true), .found(live: false, busy: false),
            .tick(full: false), .tick(full: false), .tick(full: false), .tick(full: true),
            .found(live: false, busy: false), .tick(full: false),
        ]),
        ("live rows (a retry or not_before coming due, a lease, a followed payment): never quiet", true, [
            .tick(full: true), .found(live: true, busy: false), .tick(full: true), .tick(full: true),
        ]),
        ("this worker busy (commands or reads running, dispatch paused): never quiet", true, [
            .tick(full: true), .found(live: false, busy: true), .tick(full: true), .tick(full: true),
        ]),
        ("any activity ends the quiet at once", true, [
            .tick(full: true), .found(live: false, busy: false), .tick(full: false),
            .activity, .tick(full: true), .tick(full: true),
        ]),
        ("a quiet full tick that finds live rows ends the quiet", true, [
            .tick(full: true), .found(live: false, busy: false),
            .tick(full: false), .tick(full: false), .tick(full: false), .tick(full: true),
            .found(live: true, busy: false), .tick(full: true),
        ]),
        ("no wake-ups (no change watcher, no notifications): every tick is full", false, [
            .tick(full: true), .found(live: false, busy: false), .tick(full: true), .tick(full: true),
        ]),
    ]

    @Test("one full tick per heartbeat interval (2 s) while quiet, at least every tick")
    func fullEveryFollowsTheHeartbeat() {
        #expect(QuietTicks.fullEvery(tickMillis: 500) == 4)
        #expect(QuietTicks.fullEvery(tickMillis: 20) == 100)
        #expect(QuietTicks.fullEvery(tickMillis: 1_000) == 2)
        #expect(QuietTicks.fullEvery(tickMillis: 2_500) == 1)
        #expect(QuietTicks.fullEvery(tickMillis: 0) == 2_000)
        var slow = QuietTicks(enabled: true, tickMillis: 2_500)
        let first = slow.tick()
        slow.found(live: false, busy: false)
        let second = slow.tick()
        #expect(first && second, "a tick longer than the heartbeat interval is always full")
    }

    @Test("sequences", arguments: sequences.indices)
    func sequence(index: Int) {
        let (name, enabled, steps) = Self.sequences[index]
        var ticks = QuietTicks(enabled: enabled, tickMillis: 500)
        for (number, step) in steps.enumerated() {
            switch step {
            case .tick(let full):
                #expect(ticks.tick() == full, "\(name), step \(number)")
            case .found(let live, let busy):
                ticks.found(live: live, busy: busy)
            case .activity:
                ticks.activity()
            }
        }
    }
}
