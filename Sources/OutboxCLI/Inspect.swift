import ArgumentParser
import OutboxModel
import OutboxStore

/// `outbox inspect`: the overview, a list, or one command.
public struct Inspect: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Show the queue: the overview (default), a filtered list, or one command.",
        discussion: """
            Read-only and quick: each read is one short read transaction, so workers keep running.

            Examples:
              outbox inspect
              outbox inspect --json | jq .dispatch
            """,
        subcommands: [Overview.self, List.self, Show.self],
        defaultSubcommand: Overview.self
    )

    /// `outbox inspect overview` (the default).
    public struct Overview: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "The one-screen overview (the default of `outbox inspect`).",
            discussion: """
                Counts by state and kind; the oldest unfinished command and its age; commands waiting on their sale or a rollback window; leases in flight and their owners; dead, expired and failed commands in the last 24 h; whether dispatch is paused and why; the next scheduled retry.

                Workers: a worker writes a heartbeat every 2 s. One silent for longer than --stale-after is shown as gone with its last beat (it died, was killed, or hangs), and its last pause reason is never shown as the current state; one silent for longer than --hide-after (stopped ones too) is left out and counted.

                Examples:
                  outbox inspect --db /var/lib/paywall/outbox.sqlite
                  outbox inspect --stale-after 30s --hide-after 7d
                """)

        @OptionGroup public var global: GlobalOptions

        /// When a silent worker counts as gone.
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Show a worker as gone once its last heartbeat is older than this (default 10s: five heartbeats missed).",
                valueName: "duration"))
        public var staleAfter = DurationSpec(millis: WorkerStatusRow.staleAfterMillis)

        /// When a silent worker row is left out.
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Leave out worker rows (gone or stopped) whose last heartbeat is older than this (default 24h).",
                valueName: "duration"))
        public var hideAfter = DurationSpec(millis: OverviewData.defaultHideAfterMillis)

        public func validate() throws {
            guard staleAfter.millis >= WorkerStatusRow.heartbeatIntervalMillis else {
                throw ValidationError(
                    "--stale-after must be at least 2s (a worker writes a heartbeat every 2 s; less would show live workers as gone)")
            }
            guard hideAfter.millis >= staleAfter.millis else {
                throw ValidationError("--hide-after must not be shorter than --stale-after")
            }
        }

        public func run() async throws { try await execute(.live) }

        /// Runs against `console`.
        public func execute(_ console: Console) async throws {
            try await global.run(console, .read) { store, console in
                let now = console.clock.now()
                let since = now - 86_400_000
                let overview = try await store.overview(now: now, troubleSince: since)
                let waiting = try await store.waitingCommands(limit: 8)
                var data = OverviewData(
                    database: global.databasePath(environment: console.environment),
                    schemaVersion: try await store.schemaVersion(), now: now, overview: overview,
                    waitingTotal: waiting.total, waiting: waiting.commands, workers: try await store.workerStatuses(),
                    troubleSince: since, staleAfterMillis: staleAfter.millis, hideAfterMillis: hideAfter.millis)
                // A database from before schema 006 has no followed payments to count.
                data.payments = try? await store.followSummary()
                if global.json {
                    console.line(Render.json(Render.overviewJSON(data)))
                } else {
                    for line in Render.overviewText(data, palette: Palette(enabled: global.useColor(console))) {
                        console.line(line)
                    }
                }
            }
        }
    }

    /// `outbox inspect list`.
    public struct List: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "List commands, newest first, with filters.",
            discussion: """
                Filters combine with AND. Times are durations back from now (30m, 2h, 7d) or ISO-8601 (2026-11-21, 2026-11-21T08:00:00Z, 2026-11-21 08:00, 2026-11-21T10:00+02:00; no zone means UTC); anything else is refused (exit 64).

                Examples:
                  outbox inspect list --state dead,expired,failed --since 24h
                  outbox inspect list --kind async_sale --terminal STORE1-TILL2 --limit 20
                  outbox inspect list --key 3f2b8c1e --json
                  outbox inspect list --follow --kind async_sale

                --follow keeps running: first the matching commands as they are now (at most --limit, oldest first), then one line per new command, state change (claimed, given back, rescheduled after an attempt, retried) and final outcome as they happen, until Ctrl-C or SIGTERM (exit 0). It looks every 500 ms, in one short read over indexes (pending and leased rows, the inbox by id), so it never slows workers. With --json each line is one JSON object: {"event": "listed|new|changed|finished", "at", "command": {...}, "outcome", "reason"}.
                """)

        @OptionGroup public var global: GlobalOptions

        /// States (comma-separated or repeated).
        @Option(
            name: .long, parsing: .singleValue,
            help: ArgumentHelp(
                "Only these states: pending, in_flight, succeeded, failed, expired, revoked, dead, discarded "
                    + "(comma-separated or repeated).", valueName: "state"))
        public var state: [String] = []

        /// Kinds (comma-separated or repeated).
        @Option(
            name: .long, parsing: .singleValue,
            help: ArgumentHelp("Only these kinds, e.g. async_sale (comma-separated or repeated).", valueName: "kind"))
        public var kind: [String] = []

        /// Terminal.
        @Option(name: .long, help: ArgumentHelp("Only this TerminalId or TerminalTagCode.", valueName: "terminal"))
        public var terminal: String?

        /// Created at or after.
        @Option(name: .long, help: ArgumentHelp("Created at or after (2h, or an ISO time).", valueName: "time"))
        public var since: TimeSpec?

        /// Created before.
        @Option(name: .long, help: ArgumentHelp("Created before (30m, or an ISO time).", valueName: "time"))
        public var until: TimeSpec?

        /// Key prefix.
        @Option(
            name: .long,
            help: ArgumentHelp("Command key (a sale's MerchantUniqueCode) starting with this.", valueName: "prefix"))
        public var key: String?

        /// Row id.
        @Option(name: .long, help: ArgumentHelp("Only the command with this row id.", valueName: "id"))
        public var id: Int64?

        /// Row limit.
        @Option(name: .long, help: "At most this many rows (1-10000).")
        public var limit = 50

        /// Keep printing changes.
        @Flag(
            name: .long,
            help: "Keep running and print new commands, state changes and outcomes as they happen (Ctrl-C stops; one JSON object per line with --json).")
        public var follow = false

        /// The parsed states.
        public var states: Set<CommandState>? {
            let names = state.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            return names.isEmpty ? nil : Set(names.compactMap { CommandState(rawValue: $0.replacingOccurrences(of: "-", with: "_")) })
        }

        /// The parsed kinds.
        public var kinds: Set<String>? {
            let names = kind.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            return names.isEmpty ? nil : Set(names)
        }

        public func validate() throws {
            for name in state.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard CommandState(rawValue: name.replacingOccurrences(of: "-", with: "_")) != nil else {
                    throw ValidationError(
                        "unknown state '\(name)'; use one of \(CommandState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            for name in kind.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard CommandKind(rawValue: name) != nil else {
                    throw ValidationError(
                        "unknown kind '\(name)'; use one of \(CommandKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        /// The store filter at `now`.
        public func filter(now: EpochMillis) -> CommandFilter {
            CommandFilter(
                states: states, kinds: kinds, terminal: terminal, createdFrom: since?.past(now: now),
                createdBefore: until?.past(now: now), keyPrefix: key, limit: limit)
        }

        public func run() async throws {
            if follow {
                let signals = StopSignals.install()
                try await execute(.live) { signals.received }
            } else {
                try await execute(.live)
            }
        }

        /// Runs against `console`; with `--follow`, until `shouldStop` returns true.
        public func execute(_ console: Console, until shouldStop: () -> Bool = { true }) async throws {
            try await global.run(console, .read) { store, console in
                let now = console.clock.now()
                let filter = filter(now: now)
                let id = self.id
                func listing() async throws -> [OutboxCommand] {
                    guard let id else { return try await store.list(filter) }
                    return try await store.command(id: id).map { filter.matches($0) ? [$0] : [] } ?? []
                }
                if follow {
                    let matches: @Sendable (OutboxCommand) -> Bool = { command in
                        (id == nil || command.id == id) && filter.matches(command)
                    }
                    try await ListFollow(store: store, console: console, json: global.json, matches: matches)
                        .run(listing: listing, shouldStop: shouldStop)
                    return
                }
                let commands = try await listing()
                if global.json {
                    console.line(Render.json(Render.listJSON(commands, limit: limit, now: now)))
                } else {
                    for line in Render.listText(commands, limit: limit, now: now) { console.line(line) }
                }
            }
        }
    }

    /// `outbox inspect show X`.
    public struct Show: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Everything about one command: payload, attempts, related commands, inbox, audit.",
            discussion: """
                X is a row id, a command key (a sale's MerchantUniqueCode), or a PaymentRequestId; a unique prefix of a key or id is enough. Customer personal data in the payload and in Paywall's answers is masked unless --reveal.

                Examples:
                  outbox inspect show 42
                  outbox inspect show 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61 --json
                  outbox inspect show 3f2b8c1e --reveal
                  outbox inspect show 42 --all     # every attempt, not the last 5
                """)

        @OptionGroup public var global: GlobalOptions

        /// The reference.
        @Argument(help: ArgumentHelp("Row id, command key, MerchantUniqueCode or PaymentRequestId (or a prefix).", valueName: "X"))
        public var reference: String

        /// Show personal data.
        @Flag(name: .long, help: "Show customer personal data unmasked.")
        public var reveal = false

        /// Every attempt.
        @Flag(
            name: .long,
            help: "List every attempt. Without it a history of more than 5 attempts shows counts by outcome and the last 5 (--json always lists every one).")
        public var all = false

        public func validate() throws {
            guard !reference.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("give a row id, command key, MerchantUniqueCode or PaymentRequestId")
            }
        }

        public func run() async throws { try await execute(.live) }

        /// Runs against `console`.
        public func execute(_ console: Console) async throws {
            try await global.run(console, .read) { store, console in
                let now = console.clock.now()
                let command = try await Resolve.one(reference, in: store)
                guard let detail = try await store.detail(id: command.id) else {
                    throw CLIError(.notFound, "command \(command.id) disappeared (purged?)")
                }
                let audit = try await store.auditEntries(outboxID: command.id, limit: 20)
                if global.json {
                    console.line(Render.json(Render.showJSON(detail, audit: audit, reveal: reveal, now: now)))
                } else {
                    let lines = Render.showText(
                        detail, audit: audit, reveal: reveal, now: now, palette: Palette(enabled: global.useColor(console)),
                        allAttempts: all)
                    for line in lines { console.line(line) }
                }
            }
        }
    }
}

extension CommandFilter {
    /// Whether `command` passes the filter (for an exact id lookup).
    func matches(_ command: OutboxCommand) -> Bool {
        if let states, !states.contains(command.state) { return false }
        if let kinds, !kinds.contains(command.kindName) { return false }
        if let terminal, command.terminal != terminal { return false }
        if let createdFrom, command.createdAt < createdFrom { return false }
        if let createdBefore, command.createdAt >= createdBefore { return false }
        if let keyPrefix, !command.commandKey.lowercased().hasPrefix(keyPrefix.lowercased()) { return false }
        return true
    }
}

/// Finds the command an operator means.
enum Resolve {
    /// Exactly one command for `reference`: a row id, else an exact key or PaymentRequestId, else
    /// a unique prefix. Several candidates that are one sale and its follow-ups resolve to the
    /// sale when the reference is the sale's own PaymentRequestId.
    static func one(_ reference: String, in store: any OperatorStore) async throws -> OutboxCommand {
        let text = reference.trimmingCharacters(in: .whitespaces)
        let found = try await store.find(reference: text, limit: 21)
        if found.isEmpty { throw CLIError(.notFound, "no command matches '\(text)'") }
        if found.count == 1 { return found[0] }
        let lower = text.lowercased()
        if let exact = found.first(where: { $0.commandKey.lowercased() == lower }) { return exact }
        let byPaywallID = found.filter { $0.paywallPaymentRequestId?.lowercased() == lower }
        if let sale = byPaywallID.first(where: { $0.kind?.role == .sale }) { return sale }
        if byPaywallID.count == 1 { return byPaywallID[0] }
        throw CLIError(
            .ambiguous,
            "'\(text)' matches \(found.count > 20 ? "more than 20" : "\(found.count)") commands; give more of it or a row id",
            details: Render.candidates(Array(found.prefix(20))))
    }
}
