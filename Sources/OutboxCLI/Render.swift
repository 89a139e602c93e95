import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

/// Everything `outbox inspect` shows, read in short read transactions.
public struct OverviewData: Sendable {
    public var database: String
    public var schemaVersion: Int
    public var now: EpochMillis
    public var overview: QueueOverview
    public var waitingTotal: Int
    public var waiting: [OutboxCommand]
    public var workers: [WorkerStatusRow]
    public var troubleSince: EpochMillis
    /// A heartbeat older than this shows its worker as `gone` (ms; `--stale-after`).
    public var staleAfterMillis: Int64
    /// A worker row whose last heartbeat is older than this is left out (ms; `--hide-after`).
    public var hideAfterMillis: Int64
    /// Payments followed to their final status (schema 006): how many, the oldest one's start,
    /// how many ended unresolved; `nil` on a database without them.
    public var payments: FollowSummary? = nil

    /// How long a worker row stays in the overview by default: a day, so a worker that died in
    /// the night is still seen (as `gone`, with its last beat) the next morning.
    public static let defaultHideAfterMillis: Int64 = 86_400_000

    public init(
        database: String, schemaVersion: Int, now: EpochMillis, overview: QueueOverview, waitingTotal: Int,
        waiting: [OutboxCommand], workers: [WorkerStatusRow], troubleSince: EpochMillis,
        staleAfterMillis: Int64 = WorkerStatusRow.staleAfterMillis, hideAfterMillis: Int64 = defaultHideAfterMillis
    ) {
        self.database = database
        self.schemaVersion = schemaVersion
        self.now = now
        self.overview = overview
        self.waitingTotal = waitingTotal
        self.waiting = waiting
        self.workers = workers
        self.troubleSince = troubleSince
        self.staleAfterMillis = staleAfterMillis
        self.hideAfterMillis = hideAfterMillis
    }

    /// The worker rows shown: every one whose last heartbeat is at most `hideAfterMillis` old.
    public var shownWorkers: [WorkerStatusRow] { workers.filter { now - $0.heartbeatAt <= hideAfterMillis } }

    /// How many rows `hideAfterMillis` leaves out.
    public var hiddenWorkers: Int { workers.count - shownWorkers.count }

    /// What to believe about `row` now, with this overview's staleness limit.
    public func liveness(_ row: WorkerStatusRow) -> WorkerStatusRow.Liveness {
        row.liveness(now: now, staleAfter: staleAfterMillis)
    }
}

/// Pure rendering: models in, text out. No I/O, so every screen is tested as a string.
public enum Render {
    /// The terminal width every human screen fits.
    public static let width = 80

    /// Sorted-key JSON text of `value`.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Overview

    /// The `--json` shape of the overview.
    public static func overviewJSON(_ data: OverviewData) -> OverviewJSON {
        let now = data.now
        let view = data.overview
        var totals: [String: Int] = [:]
        for count in view.counts { totals[count.state.rawValue, default: 0] += count.count }
        let workers = data.shownWorkers.map { row in
            // A pause is current only for a live worker that says it is paused; a gone or stopped
            // worker's last pause reason is history (`reported_pause_reason`).
            let status = data.liveness(row)
            let current = status == .paused
            return OverviewJSON.Worker(
                worker: row.worker, status: status.rawValue, reported_state: row.state,
                heartbeat_at: Format.iso(row.heartbeatAt), heartbeat_age_ms: now - row.heartbeatAt,
                started_at: Format.iso(row.startedAt),
                pause_reason: current ? row.pauseReason : nil,
                paused_since: current ? row.pausedSince.map(Format.iso) : nil,
                next_probe_at: current ? row.nextProbeAt.map(Format.iso) : nil, reported_pause_reason: row.pauseReason,
                in_flight: row.inFlight, checkpoint_at: row.checkpointAt.map(Format.iso), wal_pages: row.walPages,
                wal_bytes: row.walBytes, db_bytes: row.databaseBytes,
                storage_problem: [.gone, .stopped].contains(status) ? nil : row.storageProblem)
        }
        return OverviewJSON(
            database: data.database, schema_version: data.schemaVersion, now: Format.iso(now),
            counts: view.counts.map { .init(state: $0.state.rawValue, kind: $0.kind, count: $0.count) },
            totals: totals,
            oldest_unfinished: view.oldestUnfinished.map {
                .init(
                    id: $0.id, command_key: $0.commandKey, kind: $0.kindName, state: $0.state.rawValue,
                    created_at: Format.iso($0.createdAt), age_ms: now - $0.createdAt, attempts: $0.attempts,
                    last_error: $0.lastError)
            },
            due_now: view.dueNow, next_retry_at: view.nextDueAt.map(Format.iso),
            awaiting_reconcile: view.awaitingReconcile,
            waiting: .init(
                total: data.waitingTotal,
                commands: data.waiting.map {
                    .init(
                        id: $0.id, command_key: $0.commandKey, kind: $0.kindName, reason: $0.lastError ?? "",
                        due_at: Format.iso($0.dueAt))
                }),
            leases: view.leases.map {
                .init(
                    owner: $0.owner, count: $0.count, earliest_expiry: Format.iso($0.earliestExpiry),
                    expired: $0.earliestExpiry < now)
            },
            last_24h: .init(
                since: Format.iso(data.troubleSince), dead: view.recentTrouble[.dead] ?? 0,
                expired: view.recentTrouble[.expired] ?? 0, failed: view.recentTrouble[.failed] ?? 0),
            workers: workers, hidden_workers: data.hiddenWorkers, stale_after_ms: data.staleAfterMillis,
            hide_after_ms: data.hideAfterMillis, dispatch: dispatch(data),
            payments: data.payments.map {
                .init(
                    following: $0.following, oldest_started_at: $0.oldestStartedAt.map(Format.iso),
                    oldest_age_ms: $0.oldestStartedAt.map { now - $0 }, unresolved: $0.unresolved)
            })
    }

    /// The storage a live worker last measured, and any storage problem it reports.
    static func storageLines(_ data: OverviewData, palette: Palette) -> [String] {
        let live = data.shownWorkers.filter { ![.gone, .stopped].contains(data.liveness($0)) }
        var lines: [String] = []
        for problem in Set(live.compactMap(\.storageProblem)).sorted() {
            lines.append(palette.bad("STORAGE PROBLEM") + " " + Format.fit(problem, 100))
        }
        if let freshest = live.max(by: { $0.heartbeatAt < $1.heartbeatAt }), let wal = freshest.walBytes,
            let database = freshest.databaseBytes
        {
            lines.append("Storage: database \(Format.bytes(database)), WAL \(Format.bytes(wal))")
        }
        return lines
    }

    /// Whether dispatch runs: paused when any live worker says so; no_worker when none is alive.
    static func dispatch(_ data: OverviewData) -> OverviewJSON.Dispatch {
        let live = data.shownWorkers.filter {
            let state = data.liveness($0)
            return state == .running || state == .paused || state == .stopping
        }
        let paused = live.filter { data.liveness($0) == .paused }
        if live.isEmpty { return .init(status: "no_worker", reasons: [], next_probe_at: nil) }
        if !paused.isEmpty {
            let reasons = Array(Set(paused.map { $0.pauseReason ?? "no reason given" })).sorted()
            return .init(
                status: "paused", reasons: reasons, next_probe_at: paused.compactMap(\.nextProbeAt).min().map(Format.iso))
        }
        return .init(status: "running", reasons: [], next_probe_at: nil)
    }

    /// The one-screen overview, at most 80 columns wide.
    public static func overviewText(_ data: OverviewData, palette: Palette) -> [String] {
        let now = data.now
        let view = data.overview
        var lines: [String] = []
        lines.append(palette.bold(Format.fit("outbox \(data.database)", 56)) + "  " + Format.isoShort(now))
        lines.append("schema v\(data.schemaVersion)")
        lines.append("")

        // Dispatch.
        let dispatch = dispatch(data)
        switch dispatch.status {
        case "paused":
            lines.append(palette.bad("DISPATCH PAUSED"))
            for reason in dispatch.reasons { lines.append("  why: " + Format.fit(reason, 72)) }
            let paused = data.shownWorkers.filter { data.liveness($0) == .paused }
            if let since = paused.compactMap(\.pausedSince).min() {
                lines.append("  since \(Format.stamp(since, now: now))")
            }
            if let probe = paused.compactMap(\.nextProbeAt).min() {
                lines.append("  next probe \(Format.stamp(probe, now: now))")
            }
        case "no_worker":
            lines.append(
                palette.bad("NO WORKER RUNNING") + " (no heartbeat in the last \(Format.duration(data.staleAfterMillis)))")
        default:
            lines.append("Dispatch: " + palette.good("running"))
        }
        let shown = data.shownWorkers
        if !shown.isEmpty {
            let rows = shown.map { row -> [String] in
                let status = data.liveness(row)
                // A gone or stopped worker sends nothing; when it was last heard of is what matters.
                if status == .gone || status == .stopped {
                    return [
                        row.worker, status.rawValue, "-",
                        "last \(Format.isoShort(row.heartbeatAt)) (\(Format.relative(row.heartbeatAt, now: now)))",
                    ]
                }
                return [row.worker, status.rawValue, "\(row.inFlight)", Format.relative(row.heartbeatAt, now: now)]
            }
            lines += Format.table(
                header: ["WORKER", "STATUS", "SENDING", "HEARTBEAT"], rows: rows, flexible: 0, rightAligned: [2],
                indent: 2)
        }
        if data.hiddenWorkers > 0 {
            lines.append(
                palette.dim(
                    "  \(data.hiddenWorkers) worker row(s) silent for over \(Format.duration(data.hideAfterMillis)) not shown "
                        + "(--hide-after)"))
        }
        lines += storageLines(data, palette: palette)
        lines.append("")

        // Counts by state and kind.
        lines.append(palette.bold("Commands by state"))
        if view.counts.isEmpty { lines.append("  (the outbox is empty)") }
        let order = CommandState.allCases
        for state in order {
            let rows = view.counts.filter { $0.state == state }
            guard !rows.isEmpty else { continue }
            let total = rows.map(\.count).reduce(0, +)
            let head = "  " + Format.cell(state.rawValue, 10) + Format.cell("\(total)", 8, rightAligned: true) + "  "
            let items = rows.sorted { $0.count > $1.count || ($0.count == $1.count && $0.kind < $1.kind) }
                .map { "\($0.kind) \($0.count)" }
            lines += Format.wrap(items, width: width, first: head, indent: head.count)
        }
        lines.append("")

        // Oldest, due, next retry, reconcile.
        if let oldest = view.oldestUnfinished {
            lines.append(
                "Oldest unfinished: #\(oldest.id) \(oldest.kindName) \(oldest.state.rawValue), "
                    + "queued \(Format.duration(now - oldest.createdAt)) ago")
            lines.append("  key \(oldest.commandKey), \(oldest.attempts) attempt(s)")
            if let error = oldest.lastError { lines.append("  last error: " + Format.fit(error, 64)) }
        } else {
            lines.append("Oldest unfinished: none")
        }
        var dueLine = "Due now: \(view.dueNow)"
        if let next = view.nextDueAt {
            dueLine += "   next scheduled retry: \(Format.isoShort(next)) (\(Format.relative(next, now: now)))"
        } else {
            dueLine += "   next scheduled retry: none"
        }
        lines.append(Format.fit(dueLine, width))
        lines.append("Awaiting reconciliation with Paywall: \(view.awaitingReconcile)")
        if let payments = data.payments {
            var line = "Payments followed to their final status: \(payments.following)"
            if let oldest = payments.oldestStartedAt { line += ", oldest for \(Format.duration(now - oldest))" }
            lines.append(line)
            if payments.unresolved > 0 {
                lines.append(
                    palette.bad("  unresolved at the follow horizon: \(payments.unresolved)")
                        + palette.dim(" (inbox reason 'unresolved': an operator should look)"))
            }
        }
        lines.append("")

        // Waiting on a sale or a rollback window.
        lines.append(palette.bold("Waiting on a dependency (sale, rollback window, ...): \(data.waitingTotal)"))
        if !data.waiting.isEmpty {
            lines += Format.table(
                header: ["ID", "KIND", "DUE", "WAITING FOR"],
                rows: data.waiting.map {
                    ["\($0.id)", $0.kindName, Format.relative($0.dueAt, now: now), $0.lastError ?? ""]
                }, indent: 2)
            if data.waitingTotal > data.waiting.count {
                lines.append("  … and \(data.waitingTotal - data.waiting.count) more")
            }
        }
        lines.append("")

        // Leases.
        let leased = view.leases.map(\.count).reduce(0, +)
        lines.append(palette.bold("Leases in flight: \(leased)"))
        if !view.leases.isEmpty {
            lines += Format.table(
                header: ["OWNER", "COMMANDS", "EARLIEST EXPIRY"],
                rows: view.leases.map {
                    [
                        $0.owner, "\($0.count)",
                        $0.earliestExpiry < now
                            ? "EXPIRED \(Format.duration(now - $0.earliestExpiry)) ago"
                            : "in \(Format.duration($0.earliestExpiry - now))",
                    ]
                }, flexible: 0, rightAligned: [1], indent: 2)
        }
        lines.append("")

        // Trouble.
        let dead = view.recentTrouble[.dead] ?? 0
        let expired = view.recentTrouble[.expired] ?? 0
        let failed = view.recentTrouble[.failed] ?? 0
        let trouble = "Last 24h: dead \(dead), expired \(expired), failed \(failed)"
        lines.append(dead + expired + failed > 0 ? palette.bad(trouble) : trouble)
        if dead + expired + failed > 0 {
            lines.append(palette.dim("  see: outbox inspect list --state dead,expired,failed --since 24h"))
        }
        return lines
    }

    // MARK: List

    /// The `--json` shape of a list.
    public static func listJSON(_ commands: [OutboxCommand], limit: Int, now: EpochMillis) -> ListJSON {
        ListJSON(commands: commands.map { CommandJSON($0, now: now) }, limit: limit, truncated: commands.count >= limit)
    }

    /// Commands as an 80-column table, newest first.
    public static func listText(_ commands: [OutboxCommand], limit: Int, now: EpochMillis) -> [String] {
        if commands.isEmpty { return ["no commands match"] }
        var lines = Format.table(
            header: ["ID", "STATE", "KIND", "TERMINAL", "AGE", "TRY", "KEY"],
            rows: commands.map {
                [
                    "\($0.id)", $0.state.rawValue, $0.kindName, Format.fit($0.terminal ?? "-", 14),
                    Format.duration(now - $0.createdAt), "\($0.attempts)", $0.commandKey,
                ]
            }, rightAligned: [0, 5])
        if commands.count >= limit {
            lines.append("(first \(limit) shown; narrow the filters or raise --limit)")
        }
        return lines
    }

    // MARK: Show

    /// The payload as shown: masked unless `reveal`.
    static func payloadValue(_ payload: String, reveal: Bool) -> JSONValue? {
        guard let value = try? JSONValue.parse(payload) else { return nil }
        return reveal ? value : Masking.masked(value)
    }

    /// The `--json` shape of `show`.
    public static func showJSON(_ detail: CommandDetail, audit: [AuditRow], reveal: Bool, now: EpochMillis) -> ShowJSON {
        let payload =
            payloadValue(detail.command.payload, reveal: reveal)?.serialized()
            ?? (reveal ? detail.command.payload : "(not JSON; hidden, --reveal shows it)")
        return ShowJSON(
            command: CommandJSON(detail.command, now: now), payload: payload, masked: !reveal,
            attempt_counts: attemptCounts(detail.attempts),
            attempts: detail.attempts.map {
                AttemptJSON(
                    id: $0.id, generation: $0.generation, worker: $0.worker, started_at: Format.iso($0.record.startedAt),
                    duration_ms: $0.record.durationMillis, http_status: $0.record.httpStatus, outcome: $0.record.outcome,
                    error_code: $0.record.errorCode, error: $0.record.error)
            },
            related: detail.related.map { CommandJSON($0, now: now) },
            inbox: detail.inbox.map { row in
                InboxJSON(
                    id: row.id, generation: row.generation, event: row.event, outcome: row.outcome?.outcome.rawValue,
                    reason: (row.outcome?.reason ?? row.paymentStatus?.reason)?.rawValue, error_code: row.outcome?.errorCode,
                    message: row.outcome?.message ?? row.paymentStatus?.message,
                    client_message: row.outcome?.clientMessage,
                    payment_request_id: row.outcome?.paymentRequestId ?? row.paymentStatus?.paymentRequestId,
                    payment_request_activity_id: row.outcome?.paymentRequestActivityId
                        ?? row.paymentStatus?.paymentRequestActivityId,
                    terminal_pair_id: row.outcome?.terminalPairId,
                    payment_status_id: row.outcome?.paymentStatusId ?? row.paymentStatus?.statusId,
                    result: reveal ? row.outcome?.result : Masking.maskedText(row.outcome?.result),
                    raw_response: reveal ? row.outcome?.rawResponse : Masking.maskedText(row.outcome?.rawResponse),
                    http_status: row.outcome?.httpStatus, created_at: Format.iso(row.createdAt),
                    activity: row.paymentStatus?.activity?.rawValue, status_name: row.paymentStatus?.statusName,
                    source: row.paymentStatus?.source?.rawValue, final: row.paymentStatus.map(\.isFinal))
            },
            audit: audit.map {
                AuditJSON(
                    id: $0.id, at: Format.iso($0.at), actor: $0.actor, action: $0.action, outbox_id: $0.outboxID,
                    detail: $0.detail)
            })
    }

    /// How many attempts `inspect show` lists before it summarises (the last ones are listed).
    public static let attemptsShown = 5

    /// Attempts by classification (`transient`, `unknown`, `succeeded`, ...).
    static func attemptCounts(_ attempts: [AttemptRow]) -> [String: Int] {
        attempts.reduce(into: [:]) { $0[$1.record.outcome, default: 0] += 1 }
    }

    /// One command with everything about it, 80 columns wide. A history longer than
    /// ``attemptsShown`` is summarised (counts by classification, the last ones listed) unless
    /// `allAttempts`.
    public static func showText(
        _ detail: CommandDetail, audit: [AuditRow], reveal: Bool, now: EpochMillis, palette: Palette,
        allAttempts: Bool = false
    ) -> [String] {
        let command = detail.command
        var lines: [String] = []
        lines.append(
            palette.bold("Command #\(command.id)") + "  \(command.kindName)  " + palette.state(command.state.rawValue)
                + "  generation \(command.generation), \(command.attempts) attempt(s) this generation")
        func field(_ name: String, _ value: String?) {
            guard let value else { return }
            lines.append("  " + Format.cell(name, 12) + Format.fit(value, width - 14))
        }
        field("key", command.commandKey)
        for defect in command.defects {
            field("unreadable", "\(defect) (a placeholder is shown; the worker never sends such a row)")
        }
        field("terminal", command.terminal)
        field("sale key", command.saleKey)
        field("payment id", command.paymentRequestId)
        field("paywall id", command.paywallPaymentRequestId)
        field("created", Format.stamp(command.createdAt, now: now))
        if !command.state.isFinal { field("due", command.dueAt == 0 ? "at once" : Format.stamp(command.dueAt, now: now)) }
        field("not before", command.notBefore.map { Format.stamp($0, now: now) })
        field("deadline", command.deadline.map { Format.stamp($0, now: now) } ?? "worker default for the kind")
        field("accepted", command.acceptedAt.map { Format.stamp($0, now: now) })
        field("finished", command.finishedAt.map { Format.stamp($0, now: now) })
        if let owner = command.leaseOwner {
            field("lease", "\(owner) until \(Format.stamp(command.leaseExpiresAt, now: now))")
        }
        if command.needsReconcile { field("reconcile", "yes: the last send may have reached Paywall") }
        field("last error", command.lastError)
        if let hint = hint(for: command) { lines.append("  " + palette.dim(Format.fit(hint, width - 2))) }

        lines.append("")
        lines.append(palette.bold(reveal ? "Payload" : "Payload (customer data masked; --reveal shows it)"))
        if let value = payloadValue(command.payload, reveal: reveal) {
            lines += PrettyJSON.lines(value, indent: "  ")
        } else {
            lines.append("  " + (reveal ? command.payload : "(not JSON; hidden, --reveal shows it)"))
        }

        lines.append("")
        let summarised = !allAttempts && detail.attempts.count > attemptsShown
        let listed = summarised ? Array(detail.attempts.suffix(attemptsShown)) : detail.attempts
        if summarised {
            lines.append(
                palette.bold("Attempts (\(detail.attempts.count))")
                    + ", the last \(attemptsShown) listed (--all lists every one)")
            let counts = attemptCounts(detail.attempts).sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            lines += Format.wrap(
                counts.map { "\($0.key) \($0.value)" }, width: width, first: "  by outcome: ", indent: 14)
            if let first = detail.attempts.first, let last = detail.attempts.last {
                let generations = Set(detail.attempts.map(\.generation)).count
                lines.append(
                    "  first \(Format.isoShort(first.record.startedAt)), last \(Format.isoShort(last.record.startedAt))"
                        + (generations > 1 ? ", \(generations) generations" : ""))
            }
            lines.append("  … \(detail.attempts.count - listed.count) earlier attempt(s) not listed")
        } else {
            lines.append(palette.bold("Attempts (\(detail.attempts.count))"))
        }
        if !listed.isEmpty {
            lines += Format.table(
                header: ["GEN", "STARTED (UTC)", "TOOK", "HTTP", "OUTCOME", "ERROR"],
                rows: listed.map {
                    [
                        "\($0.generation)", Format.isoShort($0.record.startedAt),
                        $0.record.durationMillis.map(Format.duration) ?? "-", $0.record.httpStatus.map(String.init) ?? "-",
                        $0.record.outcome,
                        [$0.record.errorCode.map { "[\($0)]" }, $0.record.error].compactMap { $0 }.joined(separator: " "),
                    ]
                }, rightAligned: [0], indent: 2)
        }

        lines.append("")
        lines.append(palette.bold("Related commands (\(detail.related.count))"))
        if !detail.related.isEmpty {
            lines += Format.table(
                header: ["ID", "KIND", "STATE", "KEY", "NOTE"],
                rows: detail.related.map {
                    [
                        "\($0.id)", $0.kindName, $0.state.rawValue, Format.fit($0.commandKey, 13),
                        $0.needsReconcile ? "awaits reconciliation" : ($0.lastError ?? ""),
                    ]
                }, rightAligned: [0], indent: 2)
        }

        lines.append("")
        lines.append(palette.bold("Inbox (\(detail.inbox.count))"))
        for row in detail.inbox {
            var text = "#\(row.id) \(Format.isoShort(row.createdAt)) gen \(row.generation) \(row.event)"
            if let status = row.paymentStatus {
                text += " \(status.activity?.rawValue ?? "?")"
                if let id = status.statusId {
                    text += " \(PaymentStatus.describe(id))"
                    if status.isFinal, let activity = status.activity,
                        let verdict = PaymentStatus.verdict(
                            activity: PaymentType(rawValue: activity.paymentTypeId) ?? .sale, statusId: id)
                    {
                        text += " final: \(verdict)"
                    }
                } else if let reason = status.reason {
                    text += " \(reason)"
                }
                if let source = status.source { text += " (\(source.rawValue))" }
                lines.append("  " + Format.fit(text, width - 2))
                if let message = status.message { lines.append("    " + Format.fit(message, width - 4)) }
                continue
            }
            if let outcome = row.outcome {
                text += " \(outcome.outcome.rawValue)"
                if let reason = outcome.reason { text += " (\(reason))" }
                if let code = outcome.errorCode { text += " [\(code)]" }
                if let status = outcome.paymentStatusId { text += " status \(PaymentStatus.describe(status))" }
            }
            lines.append("  " + Format.fit(text, width - 2))
            if let message = row.outcome?.message { lines.append("    " + Format.fit(message, width - 4)) }
            if let id = row.outcome?.paymentRequestId { lines.append("    PaymentRequestId \(id)") }
        }

        if !audit.isEmpty {
            lines.append("")
            lines.append(palette.bold("Operator actions (\(audit.count))"))
            for entry in audit.reversed() {
                lines.append(
                    "  " + Format.fit("\(Format.isoShort(entry.at)) \(entry.actor) \(entry.action) \(entry.detail ?? "")", width - 2))
            }
        }
        return lines
    }

    /// What an operator can do about a command, in one line.
    static func hint(for command: OutboxCommand) -> String? {
        switch command.state {
        case .dead, .expired, .failed: "repair: outbox retry \(command.id)"
        case .pending where command.leaseOwner == nil: "to drop it: outbox discard \(command.id)"
        default: nil
        }
    }

    /// Several candidates for an ambiguous reference, one per line.
    public static func candidates(_ commands: [OutboxCommand]) -> [String] {
        commands.map { Format.fit("#\($0.id)  \($0.kindName)  \($0.state.rawValue)  \($0.commandKey)", width - 2) }
    }
}
