import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore

/// The filters of a bulk `outbox retry` / `outbox discard` (instead of one command X).
public struct BulkFilterOptions: ParsableArguments, Sendable {
    /// States (comma-separated or repeated).
    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "Only these states (comma-separated or repeated). retry: dead, expired, failed (default all three); discard: pending (the default and only choice).",
            valueName: "state"))
    public var state: [String] = []

    /// Kinds (comma-separated or repeated).
    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp("Only these kinds, e.g. async_sale (comma-separated or repeated).", valueName: "kind"))
    public var kind: [String] = []

    /// Reason.
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Only commands that ended for this reason (the inbox outcome's reason, e.g. attempts_exhausted, deadline_passed, validation); for pending commands: whose last error contains this text (e.g. unreachable).",
            valueName: "reason"))
    public var reason: String?

    /// Age.
    @Option(
        name: .long, help: ArgumentHelp("Only commands created longer ago than this (e.g. 2h, 1d).", valueName: "duration"))
    public var olderThan: DurationSpec?

    /// Terminal.
    @Option(name: .long, help: ArgumentHelp("Only this TerminalId or TerminalTagCode.", valueName: "terminal"))
    public var terminal: String?

    /// Only count.
    @Flag(name: .long, help: "With filters: only count and list what would be changed; change nothing.")
    public var dryRun = false

    /// Creates the defaults.
    public init() {}

    /// Whether any filter was given.
    public var isEmpty: Bool {
        state.isEmpty && kind.isEmpty && reason == nil && olderThan == nil && terminal == nil
    }

    static func names(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// Checks kinds and states against `allowed` (the states the repair accepts).
    func check(allowedStates: [CommandState], repair: String) throws {
        for name in Self.names(state) {
            guard let parsed = CommandState(rawValue: name.replacingOccurrences(of: "-", with: "_")) else {
                throw ValidationError(
                    "unknown state '\(name)'; use one of \(CommandState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard allowedStates.contains(parsed) else {
                throw ValidationError(
                    "\(repair) acts on \(allowedStates.map(\.rawValue).joined(separator: ", ")) commands only, not \(name)")
            }
        }
        for name in Self.names(kind) {
            guard CommandKind(rawValue: name) != nil else {
                throw ValidationError(
                    "unknown kind '\(name)'; use one of \(CommandKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let reason, reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--reason must not be empty")
        }
    }

    /// The store selection at `now`, states defaulting to `defaultStates`.
    func selection(now: EpochMillis, defaultStates: Set<CommandState>) -> RepairSelection {
        let states = Set(Self.names(state).compactMap { CommandState(rawValue: $0.replacingOccurrences(of: "-", with: "_")) })
        let kinds = Set(Self.names(kind))
        return RepairSelection(
            states: states.isEmpty ? defaultStates : states, kinds: kinds.isEmpty ? nil : kinds,
            reason: reason?.trimmingCharacters(in: .whitespaces), createdBefore: olderThan.map { now - $0.millis },
            terminal: terminal)
    }

    /// `async_sale 3, sync_cancel 1`, most first.
    static func byKind(_ commands: [OutboxCommand]) -> String {
        let counts = commands.reduce(into: [String: Int]()) { $0[$1.kindName, default: 0] += 1 }
        return counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

/// One bulk repair's course: what matched, what was left alone and why, what was done.
struct BulkReport {
    var action: String
    var dryRun: Bool
    var matched: [OutboxCommand]
    var left: [(command: OutboxCommand, why: String)] = []
    var done: [Int64] = []
    var skipped: [(id: Int64, why: String)] = []

    /// Runs the single-command repair on each matched command; one refused by the store (a
    /// worker took it, it changed since the selection) is skipped with the store's reason.
    mutating func repairEach(_ repair: (OutboxCommand) async throws -> Int64) async rethrows {
        for command in matched {
            do {
                done.append(try await repair(command))
            } catch let error as RepairError {
                skipped.append((command.id, error.message))
            }
        }
    }

    /// The report on stdout: JSON for scripts, lines otherwise.
    func print(to console: Console, json: Bool, now: EpochMillis) {
        if json {
            console.line(Render.json(self.json()))
        } else {
            for line in lines(now: now) { console.line(line) }
        }
    }

    func json() -> ActionJSON {
        var json = ActionJSON(action: action, done: !dryRun)
        json.bulk = BulkResultJSON(
            dry_run: dryRun, matched: matched.count, ids: dryRun ? matched.map(\.id) : done,
            left_alone: left.map { .init(id: $0.command.id, reason: $0.why) },
            skipped: skipped.map { .init(id: $0.id, reason: $0.why) })
        return json
    }

    /// The text lines after the run (or the dry run).
    func lines(now: EpochMillis) -> [String] {
        var lines: [String] = []
        let verb = action == "retry" ? "retried" : "discarded"
        if dryRun {
            lines.append("would \(action) \(matched.count) command(s)" + (matched.isEmpty ? "" : ": \(BulkFilterOptions.byKind(matched))"))
            lines += Render.listText(Array(matched.suffix(20).reversed()), limit: 21, now: now)
            if matched.count > 20 { lines.append("(the newest 20 of \(matched.count) shown)") }
        } else {
            lines.append("\(verb) \(done.count) command(s)")
            for entry in skipped { lines.append(Format.fit("skipped #\(entry.id): \(entry.why)", Render.width)) }
        }
        for entry in left.prefix(20) {
            lines.append(Format.fit("left alone #\(entry.command.id) \(entry.command.kindName): \(entry.why)", Render.width))
        }
        if left.count > 20 { lines.append("… and \(left.count - 20) more left alone") }
        return lines
    }
}

extension Retry {
    /// `outbox retry --state dead --kind async_sale ...`.
    func executeBulk(_ console: Console) async throws {
        try await global.run(console, .write) { store, console in
            let now = console.clock.now()
            let matched = try await store.repairCandidates(
                filters.selection(now: now, defaultStates: [.dead, .expired, .failed]))
            var bulk = BulkReport(action: "retry", dryRun: filters.dryRun, matched: matched)
            // A misspelt reason matches nothing, silently: say so (rows written by another version
            // may hold other reasons, so this is a note, not a refusal).
            if let reason = filters.reason?.trimmingCharacters(in: .whitespaces),
                !InboxReason.documented.map(\.rawValue).contains(reason), !reason.hasPrefix("already_done:")
            {
                console.note(
                    "note: '\(reason)' is not a reason this version writes; known: "
                        + InboxReason.documented.map(\.rawValue).joined(separator: ", "))
            }
            let sales = matched.filter { $0.kind?.role == .sale }
            // No implicit deadline for sales: 15 minutes from now would send a day of stale sales
            // to terminals whose customers have long left.
            if !sales.isEmpty && deadline == nil {
                let message =
                    "\(sales.count) of the \(matched.count) matched command(s) are sales: a bulk retry of sales needs an explicit --deadline (e.g. --deadline 5m), so that stale sales are not sent to terminals"
                if !filters.dryRun { throw CLIError(.refused, message) }
                console.note("note: \(message)")
            }
            if !filters.dryRun && !matched.isEmpty {
                let change = deadlineChange(now: now)
                let deadlineText =
                    switch change {
                    case .keep: "deadlines kept"
                    case .at(let time): "deadline \(Format.iso(time))"
                    }
                console.note(
                    "Retry \(matched.count) command(s) (\(BulkFilterOptions.byKind(matched))), \(deadlineText). "
                        + "Those whose last send may have reached Paywall reconcile before any resend.")
                try confirm("Retry \(matched.count) command(s)?", options: confirmation, console: console)
                try await bulk.repairEach { command in
                    try await store.retry(
                        id: command.id, actor: console.actor, now: console.clock.now(), deadline: change, note: note
                    ).id
                }
            }
            bulk.print(to: console, json: global.json, now: now)
        }
    }
}

extension Discard {
    /// `outbox discard --kind async_pair_request --older-than 1h ...`.
    func executeBulk(_ console: Console) async throws {
        try await global.run(console, .write) { store, console in
            let now = console.clock.now()
            let found = try await store.repairCandidates(filters.selection(now: now, defaultStates: [.pending]))
            var matched: [OutboxCommand] = []
            var left: [(command: OutboxCommand, why: String)] = []
            for command in found {
                if let owner = command.leaseOwner {
                    left.append((command, "held by \(owner): a worker may be sending it"))
                } else if OutboxStore.mayHaveBeenSent(command, attemptOutcomes: try await store.attemptOutcomes(of: command)) {
                    left.append(
                        (command, "may already have reached Paywall; queue a cancel or rollback (or discard it alone)"))
                } else {
                    matched.append(command)
                }
            }
            var bulk = BulkReport(action: "discard", dryRun: filters.dryRun, matched: matched, left: left)
            if !filters.dryRun && !matched.isEmpty {
                console.note(
                    "Discard \(matched.count) pending command(s) (\(BulkFilterOptions.byKind(matched))); "
                        + "each ends \"discarded by operator\" in the inbox."
                        + (left.isEmpty ? "" : " \(left.count) that may have been sent are left alone."))
                try confirm("Discard \(matched.count) command(s)?", options: confirmation, console: console)
                try await bulk.repairEach { command in
                    // Never forced: a command that may have reached Paywall is refused by the
                    // store as well (it may have been claimed and sent since the selection).
                    try await store.discard(
                        id: command.id, actor: console.actor, now: console.clock.now(), force: false, note: note
                    ).id
                }
            }
            bulk.print(to: console, json: global.json, now: now)
        }
    }
}
