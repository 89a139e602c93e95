import Foundation
import OutboxModel
import OutboxStore

/// The loop of `outbox inspect list --follow`: the matching commands as they are, oldest first,
/// then one line per new command, state change or outcome, polling the database (one read
/// transaction over indexes per poll) until `shouldStop` says so.
struct ListFollow {
    let store: any OperatorStore
    let console: Console
    let json: Bool
    let matches: @Sendable (OutboxCommand) -> Bool
    /// Time between two polls.
    var interval: Duration = .milliseconds(500)

    func run(listing: () async throws -> [OutboxCommand], shouldStop: () -> Bool) async throws {
        // Seed before listing: a change between the two is shown (twice at worst), never lost.
        var tracker = ListFollowTracker(
            seed: try await store.listFollowSnapshot(afterInbox: nil, limit: 1_000), matches: matches)
        let listed = try await listing().sorted { $0.id < $1.id }
        tracker.listed(listed)
        let now = console.clock.now()
        for command in listed { show(ListFollowEvent(change: .listed, command: command), now: now) }
        console.note("following: new commands and state changes as they happen (Ctrl-C to stop)")
        while !shouldStop() {
            let wake = ContinuousClock.now + interval
            while ContinuousClock.now < wake && !shouldStop() { try await Task.sleep(for: .milliseconds(20)) }
            if shouldStop() { break }
            let snapshot = try await store.listFollowSnapshot(afterInbox: tracker.cursor, limit: 1_000)
            let now = console.clock.now()
            for event in tracker.events(in: snapshot) { show(event, now: now) }
        }
    }

    func show(_ event: ListFollowEvent, now: EpochMillis) {
        console.line(json ? Self.jsonLine(event, now: now) : Self.textLine(event, now: now))
    }

    /// `2026-11-21T09:36:39.181Z  finished  #12  succeeded  async_sale  STORE1-TILL2  try 1  3f2b8c1e-…`
    static func textLine(_ event: ListFollowEvent, now: EpochMillis) -> String {
        let command = event.command
        var line = [
            Format.iso(now), event.change.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0), "#\(command.id)",
            event.state.padding(toLength: 10, withPad: " ", startingAt: 0),
            command.kindName.padding(toLength: 20, withPad: " ", startingAt: 0), Format.fit(command.terminal ?? "-", 14),
            "try \(command.attempts)", command.commandKey,
        ].joined(separator: "  ")
        if let reason = event.reason, !reason.isEmpty {
            line += "  (\(reason))"
        } else if event.change != .finished, command.state == .pending, let error = command.lastError {
            line += "  (\(Format.fit(error, 80)))"
        }
        return line
    }

    /// One JSON object on one line: `event`, `at`, `command` (the `inspect list --json` shape),
    /// and for `finished` the `outcome` and `reason`.
    static func jsonLine(_ event: ListFollowEvent, now: EpochMillis) -> String {
        let value = ListFollowEventJSON(
            event: event.change.rawValue, at: Format.iso(now), command: CommandJSON(event.command, now: now),
            outcome: event.outcome, reason: event.reason)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The `--follow --json` line shape.
public struct ListFollowEventJSON: Codable, Sendable, Hashable {
    /// `listed`, `new`, `changed` or `finished`.
    public var event: String
    /// When it was seen (UTC, ms).
    public var at: String
    /// The command.
    public var command: CommandJSON
    /// For `finished`: the outcome recorded.
    public var outcome: String?
    /// For `finished`: the inbox reason.
    public var reason: String?
}
