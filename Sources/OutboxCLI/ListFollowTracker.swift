import OutboxModel
import OutboxStore

/// One line of `outbox inspect list --follow`.
public struct ListFollowEvent: Sendable, Hashable {
    /// What happened.
    public enum Change: String, Sendable, Hashable {
        /// Already there when following began (the first listing).
        case listed
        /// A command not seen before, still unfinished.
        case new
        /// An unfinished command moved: claimed, given back, rescheduled after an attempt, retried
        /// by an operator (a new generation).
        case changed
        /// A final outcome was recorded (the inbox's outcome row).
        case finished
    }

    /// What happened.
    public var change: Change
    /// The command as read.
    public var command: OutboxCommand
    /// For `finished`: the outcome recorded (the command may have moved on since).
    public var outcome: String?
    /// For `finished`: the inbox reason.
    public var reason: String?

    /// The state to show: the outcome for `finished`, else the command's state.
    public var state: String { outcome ?? command.state.rawValue }
}

/// What `--follow` has seen, and what is new in each poll. Pure: snapshots in, events out.
///
/// Unfinished commands are compared with what was last shown (state, generation, attempts):
/// a difference is one `changed` line (a command claimed and given back between two polls shows
/// as its attempts moving). Final outcomes come from the inbox by cursor, so each is shown
/// exactly once, even for a command queued and finished between two polls.
public struct ListFollowTracker: Sendable {
    struct Shown: Hashable {
        var state: CommandState
        var generation: Int
        var attempts: Int

        init(_ command: OutboxCommand) {
            state = command.state
            generation = command.generation
            attempts = command.attempts
        }
    }

    let matches: @Sendable (OutboxCommand) -> Bool
    var shown: [Int64: Shown] = [:]
    /// The highest command id known: anything above it is new.
    var newestID: Int64 = 0
    /// The inbox id of the last outcome handled.
    public private(set) var cursor: Int64

    /// Starts from `seed` (read with no cursor): its unfinished commands are known, not shown.
    public init(seed: ListFollowSnapshot, matches: @escaping @Sendable (OutboxCommand) -> Bool) {
        self.matches = matches
        cursor = seed.inboxCursor
        for command in seed.unfinished {
            shown[command.id] = Shown(command)
            newestID = max(newestID, command.id)
        }
    }

    /// Marks commands printed in the first listing as known (newest id included).
    public mutating func listed(_ commands: [OutboxCommand]) {
        for command in commands {
            newestID = max(newestID, command.id)
            if !command.state.isFinal { shown[command.id] = Shown(command) }
        }
    }

    /// The events between the last snapshot and `snapshot`: outcomes (in the order they were
    /// recorded), then unfinished commands that are new or moved (by id), so a command retried
    /// right after it ended shows its outcome, then its new generation.
    public mutating func events(in snapshot: ListFollowSnapshot) -> [ListFollowEvent] {
        var events: [ListFollowEvent] = []
        for finished in snapshot.finished {
            shown[finished.command.id] = nil
            var final = finished.command
            if let state = CommandState(rawValue: finished.outcome) { final.state = state }
            if matches(final) {
                events.append(
                    ListFollowEvent(
                        change: .finished, command: finished.command, outcome: finished.outcome, reason: finished.reason))
            }
        }
        var present = Set<Int64>()
        for command in snapshot.unfinished {
            present.insert(command.id)
            let now = Shown(command)
            let before = shown[command.id]
            guard before != now else { continue }
            shown[command.id] = now
            if matches(command) {
                events.append(ListFollowEvent(change: command.id > newestID && before == nil ? .new : .changed, command: command))
            }
        }
        // Left the unfinished set (finished, or the row is gone): forget it.
        shown = shown.filter { present.contains($0.key) }
        newestID = max(newestID, snapshot.unfinished.map(\.id).max() ?? 0, snapshot.finished.map(\.command.id).max() ?? 0)
        cursor = max(cursor, snapshot.inboxCursor)
        return events
    }
}
