import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore
import Synchronization

/// `outbox retry X`.
public struct Retry: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Give a dead, expired or failed command (or every one a filter matches) fresh attempts.",
        discussion: """
            The command gets a new generation (its next outcome is a new inbox row), attempts 0, and is due at once. If its last send may have reached Paywall (a timeout, a worker that died holding it), the worker reconciles with Paywall before any resend: a sale is never blindly sent twice. The deadline is set to --deadline from now (default 15m) unless --keep-deadline. Leaves an audit entry.

            By filter, instead of X: every dead, expired or failed command matching --state, --kind, --reason, --older-than and --terminal (all that are given), each retried as above with its own audit entry. --dry-run counts and lists them. A bulk retry that matches any sale needs an explicit --deadline: no default would send a day of stale sales to terminals.

            Examples:
              outbox retry 42
              outbox retry 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61 --deadline 1h --yes
              outbox retry --state dead --reason attempts_exhausted --dry-run
              outbox retry --kind async_sale,sync_sale --terminal STORE1-TILL2 --deadline 5m --yes
            """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var confirmation: ConfirmOptions
    @OptionGroup(title: "Bulk (instead of X)") public var filters: BulkFilterOptions

    /// The command.
    @Argument(
        help: ArgumentHelp(
            "Row id, command key, MerchantUniqueCode or PaymentRequestId (or use the filters below).", valueName: "X"))
    public var reference: String?

    /// New deadline.
    @Option(
        name: .long, help: ArgumentHelp("New deadline: a duration from now or an ISO time (default 15m).", valueName: "time"))
    public var deadline: TimeSpec?

    /// Keep the old deadline.
    @Flag(name: .long, help: "Keep the command's deadline as it is (it may have passed: it would expire again).")
    public var keepDeadline = false

    /// Why.
    @Option(name: .long, help: ArgumentHelp("Why, for the audit entry.", valueName: "text"))
    public var note: String?

    public func validate() throws {
        if deadline != nil && keepDeadline {
            throw ValidationError("use either --deadline or --keep-deadline")
        }
        try filters.check(allowedStates: [.dead, .expired, .failed], repair: "retry")
        try checkTarget(reference: reference, filters: filters)
    }

    /// A retried command's deadline when none is given: 15 minutes from now.
    public static let defaultDeadline = TimeSpec.relative(15 * 60_000)

    /// The deadline change at `now`.
    public func deadlineChange(now: EpochMillis) -> RetryDeadline {
        keepDeadline ? .keep : .at((deadline ?? Self.defaultDeadline).future(now: now))
    }

    public func run() async throws { try await execute(.live) }

    /// Runs against `console`.
    public func execute(_ console: Console) async throws {
        guard let reference else { return try await executeBulk(console) }
        try await global.run(console, .write) { store, console in
            let command = try await Resolve.one(reference, in: store)
            guard [.dead, .expired, .failed].contains(command.state) else {
                throw CLIError(
                    .refused,
                    "command \(command.id) is \(command.state.rawValue); only dead, expired or failed commands can be retried")
            }
            let now = console.clock.now()
            let change = deadlineChange(now: now)
            let deadlineText =
                switch change {
                case .keep: command.deadline.map(Format.iso) ?? "the worker's default for the kind"
                case .at(let time): Format.iso(time)
                }
            let outcomes = try await store.attemptOutcomes(of: command)
            let reconcile = OutboxStore.retryNeedsReconcile(
                attemptOutcomes: outcomes, lastError: command.lastError, wasMarked: command.needsReconcile)
            console.note(
                "Retry #\(command.id) \(command.kindName) (\(command.state.rawValue), \(command.attempts) attempt(s)) "
                    + "as generation \(command.generation + 1), deadline \(deadlineText).")
            if reconcile {
                console.note("Its last send may have reached Paywall: the worker asks Paywall before any resend.")
            }
            try confirm("Retry it?", options: confirmation, console: console)
            let result = try await store.retry(
                id: command.id, actor: console.actor, now: console.clock.now(), deadline: change, note: note)
            if global.json {
                var json = ActionJSON(action: "retry", done: true)
                json.id = result.id
                json.command_key = command.commandKey
                json.kind = command.kindName
                json.generation = result.generation
                json.needs_reconcile = result.needsReconcile
                json.deadline = result.deadline.map(Format.iso)
                console.line(Render.json(json))
            } else {
                console.line(
                    "retried #\(result.id): pending, generation \(result.generation)"
                        + (result.needsReconcile ? ", reconciles with Paywall before any resend" : ""))
            }
        }
    }
}

/// `outbox discard X`.
public struct Discard: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Drop a pending command (or every one a filter matches): it ends with the inbox outcome \"discarded by operator\".",
        discussion: """
            Only a pending command no worker holds can be discarded; one in flight is refused (a worker may be sending it right now: look again when its lease ends). A command whose last send may have reached Paywall is refused unless --force: discarding it here would not undo it at Paywall; queue a cancel or rollback instead. Leaves an audit entry.

            By filter, instead of X: every pending command matching --kind, --reason, --older-than and --terminal (all that are given), each discarded as above with its own audit entry. A bulk discard never discards a command that may have been sent (marked for reconciliation, accepted by Paywall, or an unsettled send in its history) and has no --force: those are listed as left alone. --dry-run counts and lists what would go.

            Examples:
              outbox discard 42
              outbox discard 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61 --note "customer left" --yes
              outbox discard --kind async_pair_request --older-than 1h --dry-run
              outbox discard --terminal STORE1-TILL2 --reason unreachable --note "till replaced" --yes
            """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var confirmation: ConfirmOptions
    @OptionGroup(title: "Bulk (instead of X)") public var filters: BulkFilterOptions

    /// The command.
    @Argument(
        help: ArgumentHelp(
            "Row id, command key, MerchantUniqueCode or PaymentRequestId (or use the filters below).", valueName: "X"))
    public var reference: String?

    /// Discard even when it may have been sent.
    @Flag(name: .long, help: "Discard even if its last send may have reached Paywall (one command X only).")
    public var force = false

    /// Why.
    @Option(name: .long, help: ArgumentHelp("Why, for the audit entry.", valueName: "text"))
    public var note: String?

    public func validate() throws {
        try filters.check(allowedStates: [.pending], repair: "discard")
        try checkTarget(reference: reference, filters: filters)
        if reference == nil && force {
            throw ValidationError("--force discards one command X only; a bulk discard never discards what may have been sent")
        }
    }

    public func run() async throws { try await execute(.live) }

    /// Runs against `console`.
    public func execute(_ console: Console) async throws {
        guard let reference else { return try await executeBulk(console) }
        try await global.run(console, .write) { store, console in
            let command = try await Resolve.one(reference, in: store)
            if command.state == .inFlight {
                throw CLIError(
                    .refused,
                    "command \(command.id) is in flight (held by \(command.leaseOwner ?? "?") until "
                        + "\(command.leaseExpiresAt.map(Format.iso) ?? "?")); a worker may be sending it now. Look again later")
            }
            guard command.state == .pending else {
                throw CLIError(
                    .refused, "command \(command.id) is \(command.state.rawValue); only pending commands can be discarded")
            }
            console.note("Discard #\(command.id) \(command.kindName) \(command.commandKey)?")
            try confirm("Discard it?", options: confirmation, console: console)
            let result = try await store.discard(
                id: command.id, actor: console.actor, now: console.clock.now(), force: force, note: note)
            if global.json {
                var json = ActionJSON(action: "discard", done: true)
                json.id = result.id
                json.command_key = command.commandKey
                json.kind = command.kindName
                json.generation = result.generation
                json.inbox_id = result.inboxID
                console.line(Render.json(json))
            } else {
                console.line("discarded #\(result.id); inbox row #\(result.inboxID) says \"discarded by operator\"")
            }
        }
    }
}

/// `outbox purge`.
public struct Purge: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Delete finished commands older than a retention, with their attempt history.",
        discussion: """
            Deletes commands that finished (any final state) before now minus --older-than, and their attempts. Inbox rows are kept unless --include-inbox: merchant software reads the inbox by cursor and may not have reached them (inbox ids are never reused either way). A finished sale that an unfinished cancel or rollback still names is kept. Deletes in small batches (500 commands, each its own short transaction) so workers keep running; a purge that takes longer than --progress-every reports how far it got on stderr at that interval, and the final count goes to stdout. Leaves one audit entry.

            Examples:
              outbox purge --older-than 30d --dry-run
              outbox purge --older-than 90d --include-inbox --yes
            """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var confirmation: ConfirmOptions

    /// Retention.
    @Option(name: .long, help: ArgumentHelp("Keep what finished more recently than this (e.g. 30d).", valueName: "duration"))
    public var olderThan: DurationSpec

    /// Also inbox rows.
    @Flag(name: .long, help: "Also delete the purged commands' inbox rows.")
    public var includeInbox = false

    /// Only count.
    @Flag(name: .long, help: "Only count what would be deleted.")
    public var dryRun = false

    /// Progress interval.
    @Option(
        name: .long,
        help: ArgumentHelp(
            "While deleting, report progress on stderr at most this often (default 1s; a purge shorter than that prints none).",
            valueName: "duration"))
    public var progressEvery = DurationSpec(millis: 1_000)

    public func run() async throws { try await execute(.live) }

    /// Commands deleted per transaction.
    static let batchSize = 500

    /// Runs against `console`.
    public func execute(_ console: Console) async throws {
        try await global.run(console, .write) { store, console in
            let now = console.clock.now()
            let cutoff = now - olderThan.millis
            let plan = try await store.purge(
                finishedBefore: cutoff, includeInbox: includeInbox, dryRun: true, actor: console.actor, now: now,
                batchSize: Self.batchSize, onBatch: nil)
            var result = plan
            if !dryRun {
                console.note(
                    "Purge \(plan.commands) command(s) finished before \(Format.iso(cutoff)), \(plan.attempts) attempt(s)"
                        + (includeInbox ? ", \(plan.inbox) inbox row(s)" : "; inbox rows kept") + ".")
                try confirm("Purge?", options: confirmation, console: console)
                let progress = PurgeProgressReporter(
                    PurgeProgress(total: plan.commands, every: .milliseconds(progressEvery.millis)), console: console)
                result = try await store.purge(
                    finishedBefore: cutoff, includeInbox: includeInbox, dryRun: false, actor: console.actor,
                    now: console.clock.now(), batchSize: Self.batchSize, onBatch: { progress.report($0) })
            }
            if global.json {
                var json = ActionJSON(action: "purge", done: !dryRun)
                json.purge = PurgeResultJSON(
                    finished_before: Format.iso(cutoff), commands: result.commands, attempts: result.attempts,
                    inbox: result.inbox, include_inbox: includeInbox, kept_for_follow_ups: result.keptForFollowUps,
                    dry_run: dryRun)
                console.line(Render.json(json))
            } else {
                let verb = dryRun ? "would delete" : "deleted"
                console.line(
                    "\(verb) \(result.commands) command(s), \(result.attempts) attempt(s), \(result.inbox) inbox row(s) "
                        + "finished before \(Format.isoShort(cutoff))")
                if result.keptForFollowUps > 0 {
                    console.line("kept \(result.keptForFollowUps) sale(s) that unfinished follow-ups still name")
                }
            }
        }
    }
}

/// When and what a long purge reports on stderr: at most once per `every`, never before the first
/// `every` has passed (a quick purge prints nothing but its result).
struct PurgeProgress {
    let total: Int
    let every: Duration
    let started = ContinuousClock.now
    var last: ContinuousClock.Instant?

    init(total: Int, every: Duration) {
        self.total = total
        self.every = every
    }

    /// The line to print after a batch that brought the totals to `soFar`, or nil.
    mutating func line(after soFar: PurgeResult, at now: ContinuousClock.Instant) -> String? {
        guard now - (last ?? started) >= every else { return nil }
        last = now
        let share = total > 0 ? " (\(min(100, soFar.commands * 100 / total)) %)" : ""
        return "purge: \(soFar.commands) of \(total) command(s) deleted\(share), \(soFar.attempts) attempt(s)"
            + (soFar.inbox > 0 ? ", \(soFar.inbox) inbox row(s)" : "")
    }
}

/// ``PurgeProgress`` behind a lock, for the store's batch callback.
final class PurgeProgressReporter: Sendable {
    private let progress: Mutex<PurgeProgress>
    private let console: Console

    init(_ progress: PurgeProgress, console: Console) {
        self.progress = Mutex(progress)
        self.console = console
    }

    /// Prints the progress line after a batch, when one is due.
    func report(_ soFar: PurgeResult) {
        if let line = progress.withLock({ $0.line(after: soFar, at: .now) }) { console.note(line) }
    }
}

/// `outbox migrate`.
public struct Migrate: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Bring the database to this binary's schema version (a SQLite file is created if missing; a PostgreSQL database must exist).",
        discussion: """
            SQLite: applies the numbered migrations in one BEGIN IMMEDIATE transaction, so it is safe while workers run (they wait for it). PostgreSQL (--db postgres://…): applies Schema/postgres/ file by file, each in its own transaction under an advisory lock, as a starting worker does; the role needs the rights the files ask for. A database newer than this binary is refused (exit 5). Leaves an audit entry.

            Examples:
              outbox migrate --dry-run
              outbox migrate --db /var/lib/paywall/outbox.sqlite --yes
              PGPASSWORD=... outbox migrate --db postgres://outbox_owner@db.example/shop --yes
            """)

    @OptionGroup public var global: GlobalOptions
    @OptionGroup public var confirmation: ConfirmOptions

    /// Only report.
    @Flag(name: .long, help: "Only show what would be applied.")
    public var dryRun = false

    public func run() async throws { try await execute(.live) }

    /// Runs against `console`.
    public func execute(_ console: Console) async throws {
        try await report(console, json: global.json) {
            let path = global.databasePath(environment: console.environment)
            guard DatabaseURL.isPostgres(path) else {
                let busy = global.busyTimeout
                return try await migrate(
                    console, what: FileManager.default.fileExists(atPath: path) ? path : nil, shown: path,
                    plan: { try OutboxStore.migrate(path: path, actor: $0, now: $1, dryRun: true, busyTimeoutSeconds: busy) },
                    apply: { try OutboxStore.migrate(path: path, actor: $0, now: $1, dryRun: false, busyTimeoutSeconds: busy) })
            }
            // PostgreSQL: each file in its own transaction under the migration lock (the worker
            // applies them the same way when it starts); the role needs the rights the files ask
            // for (Schema/postgres/README.md).
            try await global.withPostgres(path, console, .write, migrateOnly: true) { store, console in
                try await migrate(
                    console, what: path, shown: path,
                    plan: { try await store.migrateSchema(actor: $0, now: $1, dryRun: true) },
                    apply: { try await store.migrateSchema(actor: $0, now: $1, dryRun: false) })
            }
        }
    }

    /// Plans, asks, applies and reports, whatever the engine. `what` is nil when the database
    /// does not exist yet (it will be created).
    func migrate(
        _ console: Console, what: String?, shown: String,
        plan: (String, EpochMillis) async throws -> MigrationResult,
        apply: (String, EpochMillis) async throws -> MigrationResult
    ) async throws {
        let plan = try await plan(console.actor, console.clock.now())
        var result = plan
        if !dryRun && !plan.applied.isEmpty {
            console.note(
                (what != nil ? "Migrate \(shown) from schema v\(plan.from) to v\(plan.to)"
                    : "Create \(shown) at schema v\(plan.to)") + ".")
            try confirm("Migrate?", options: confirmation, console: console)
            result = try await apply(console.actor, console.clock.now())
        }
        if global.json {
            var json = ActionJSON(action: "migrate", done: !dryRun && !result.applied.isEmpty)
            json.migration = MigrationJSON(from: result.from, to: result.to, applied: result.applied, dry_run: dryRun)
            console.line(Render.json(json))
        } else if result.applied.isEmpty {
            console.line("schema v\(result.from) is current; nothing to do")
        } else {
            console.line(
                "\(dryRun ? "would apply" : "applied") \(result.applied.map { "v\($0)" }.joined(separator: ", ")): "
                    + "schema v\(result.from) → v\(result.to)")
        }
    }
}

/// Exactly one target: a command X, or filters.
func checkTarget(reference: String?, filters: BulkFilterOptions) throws {
    if let reference {
        guard !reference.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("give a row id, command key, MerchantUniqueCode or PaymentRequestId")
        }
        guard filters.isEmpty && !filters.dryRun else {
            throw ValidationError("give either a command X or filters (--state, --kind, --reason, --older-than, --terminal), not both")
        }
    } else if filters.isEmpty {
        throw ValidationError(
            "give a command X, or filters (--state, --kind, --reason, --older-than, --terminal) to act on every command they match")
    }
}
