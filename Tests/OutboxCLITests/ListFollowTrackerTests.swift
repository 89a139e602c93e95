import Foundation
import OutboxModel
import Testing

@testable import OutboxCLI
@testable import OutboxStore

@Suite("CLI: inspect list --follow, what is shown and how")
struct ListFollowTrackerTests {
    static func command(
        _ id: Int64, _ state: CommandState = .pending, attempts: Int = 0, generation: Int = 1,
        kind: CommandKind = .asyncPairRequest
    ) -> OutboxCommand {
        OutboxCommand(
            id: id, commandKey: "0000000\(id)-0000-4000-8000-000000000000", kind: kind, createdAt: 1_000, state: state,
            generation: generation, attempts: attempts)
    }

    static func snapshot(_ unfinished: [OutboxCommand], finished: [(Int64, String, OutboxCommand)] = [], cursor: Int64)
        -> ListFollowSnapshot
    {
        ListFollowSnapshot(
            unfinished: unfinished,
            finished: finished.map { FinishedCommand(inboxID: $0.0, outcome: $0.1, reason: nil, command: $0.2) },
            inboxCursor: cursor)
    }

    static func summary(_ events: [ListFollowEvent]) -> [String] {
        events.map { "\($0.change.rawValue) \($0.command.id) \($0.state)" }
    }

    @Test("new rows, state changes and outcomes each print once; what was there at the start does not")
    func tracker() {
        var tracker = ListFollowTracker(seed: Self.snapshot([Self.command(1)], cursor: 10)) { _ in true }
        #expect(tracker.cursor == 10)
        // Nothing moved.
        #expect(tracker.events(in: Self.snapshot([Self.command(1)], cursor: 10)).isEmpty)
        // 2 is queued, 1 is claimed.
        #expect(
            Self.summary(tracker.events(in: Self.snapshot([Self.command(1, .inFlight), Self.command(2)], cursor: 10)))
                == ["changed 1 in_flight", "new 2 pending"])
        // 1 is given back after an attempt: pending again, attempts moved (a claim and a return
        // between two polls shows too).
        #expect(
            Self.summary(
                tracker.events(in: Self.snapshot([Self.command(1, attempts: 1), Self.command(2)], cursor: 10)))
                == ["changed 1 pending"])
        // 2 finishes; 3 is queued and finishes between two polls: its outcome shows, once.
        let events = tracker.events(
            in: Self.snapshot(
                [Self.command(1, attempts: 1)],
                finished: [(11, "succeeded", Self.command(2, .succeeded)), (12, "dead", Self.command(3, .dead))],
                cursor: 12))
        #expect(Self.summary(events) == ["finished 2 succeeded", "finished 3 dead"])
        #expect(tracker.cursor == 12)
        // An operator retries 3: a new generation, pending again.
        #expect(
            Self.summary(
                tracker.events(in: Self.snapshot([Self.command(1, attempts: 1), Self.command(3, generation: 2)], cursor: 12)))
                == ["changed 3 pending"])
    }

    @Test("filters apply to the state the event shows")
    func filtered() {
        let onlyDead: @Sendable (OutboxCommand) -> Bool = { $0.state == .dead }
        var tracker = ListFollowTracker(seed: Self.snapshot([], cursor: 0), matches: onlyDead)
        let events = tracker.events(
            in: Self.snapshot(
                [Self.command(4)],
                finished: [(1, "succeeded", Self.command(2, .succeeded)), (2, "dead", Self.command(3, .pending))],
                cursor: 2))
        // 3's row is already pending again (retried), but the outcome recorded was dead.
        #expect(Self.summary(events) == ["finished 3 dead"])
    }

    @Test("follow lines: text with the change, state and key; JSON on one line with the command")
    func lines() throws {
        var command = Self.command(7, .pending, attempts: 2)
        command.lastError = "HTTP 503 Service Unavailable"
        let text = ListFollow.textLine(ListFollowEvent(change: .changed, command: command), now: 1_800_000_000_000)
        #expect(text.contains("changed") && text.contains("#7") && text.contains("pending") && text.contains("try 2"))
        #expect(text.contains(command.commandKey) && text.hasSuffix("(HTTP 503 Service Unavailable)"))
        let json = ListFollow.jsonLine(
            ListFollowEvent(change: .finished, command: command, outcome: "dead", reason: "attempts_exhausted"),
            now: 1_800_000_000_000)
        #expect(!json.contains("\n"))
        let decoded = try JSONDecoder().decode(ListFollowEventJSON.self, from: Data(json.utf8))
        #expect(decoded.event == "finished" && decoded.outcome == "dead" && decoded.reason == "attempts_exhausted")
        #expect(decoded.command.id == 7)
    }
}
