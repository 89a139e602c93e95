import Testing

@testable import OutboxWorker

@Suite("QuietTicks: which idle ticks do the chores")
struct QuietTicksTests {
    enum Step {
        /// A tick, with or without the heartbeat due; whether it must do the chores.
        case tick(heartbeatDue: Bool, full: Bool)
        /// A full tick's finding.
        case found(live: Bool, busy: Bool)
        /// A wake-up that is news, or a command or read ending.
        case activity
    }

    static let sequences: [(String, Bool, [Step])] = [
        ("every tick is full until a full tick finds nothing live", true, [
            .tick(heartbeatDue: false, full: true), .found(live: true, busy: false),
            .tick(heartbeatDue: false, full: true),
        ]),
        ("quiet: ticks check only the file, except when the heartbeat is due", true, [
            .tick(heartbeatDue: true, full: true), .found(live: false, busy: false),
            .tick(heartbeatDue: false, full: false), .tick(heartbeatDue: false, full: false),
            .tick(heartbeatDue: true, full: true), .found(live: false, busy: false),
            .tick(heartbeatDue: false, full: false),
        ]),
        ("live rows (a retry or not_before coming due, a lease, a followed payment): never quiet", true, [
            .tick(heartbeatDue: false, full: true), .found(live: true, busy: false),
            .tick(heartbeatDue: false, full: true), .tick(heartbeatDue: false, full: true),
        ]),
        ("this worker busy (commands or reads running, dispatch paused): never quiet", true, [
            .tick(heartbeatDue: false, full: true), .found(live: false, busy: true),
            .tick(heartbeatDue: false, full: true),
        ]),
        ("any activity ends the quiet at once", true, [
            .tick(heartbeatDue: false, full: true), .found(live: false, busy: false),
            .tick(heartbeatDue: false, full: false), .activity,
            .tick(heartbeatDue: false, full: true), .tick(heartbeatDue: false, full: true),
        ]),
        ("a quiet full tick that finds live rows ends the quiet", true, [
            .tick(heartbeatDue: false, full: true), .found(live: false, busy: false),
            .tick(heartbeatDue: true, full: true), .found(live: true, busy: false),
            .tick(heartbeatDue: false, full: true),
        ]),
        ("no wake-ups (no change watcher, no notifications): every tick is full", false, [
            .tick(heartbeatDue: false, full: true), .found(live: false, busy: false),
            .tick(heartbeatDue: false, full: true), .tick(heartbeatDue: false, full: true),
        ]),
    ]

    @Test("sequences", arguments: sequences.indices)
    func sequence(index: Int) {
        let (name, enabled, steps) = Self.sequences[index]
        var ticks = QuietTicks(enabled: enabled)
        for (number, step) in steps.enumerated() {
            switch step {
            case .tick(let heartbeatDue, let full):
                #expect(ticks.tick(heartbeatDue: heartbeatDue) == full, "\(name), step \(number)")
            case .found(let live, let busy):
                ticks.found(live: live, busy: busy)
            case .activity:
                ticks.activity()
            }
        }
    }
}
