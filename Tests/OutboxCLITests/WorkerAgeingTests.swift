import Foundation
import OutboxModel
@testable import OutboxStore
import OutboxTestSupport
import Testing

@testable import OutboxCLI

/// Issue 13: worker rows age out of the overview (gone with their last beat, then hidden), a
/// gone worker's pause is never current, and long attempt histories are summarised.
@Suite("CLI: worker rows age out; long attempt histories are summarised")
struct WorkerAgeingTests {
    static let now: EpochMillis = 1_795_248_000_000

    static func row(
        _ worker: String, ageMillis: Int64, state: String, pauseReason: String? = nil, inFlight: Int = 0
    ) -> WorkerStatusRow {
        WorkerStatusRow(
            worker: worker, startedAt: now - 86_400_000 * 4, heartbeatAt: now - ageMillis, state: state,
            pauseReason: pauseReason, pausedSince: pauseReason.map { _ in now - ageMillis - 60_000 },
            nextProbeAt: pauseReason.map { _ in now - ageMillis + 5_000 }, inFlight: inFlight, checkpointAt: nil,
            walPages: nil)
    }

    static func data(_ workers: [WorkerStatusRow], staleAfter: Int64? = nil, hideAfter: Int64? = nil) -> OverviewData {
        OverviewData(
            database: "o.sqlite", schemaVersion: 5, now: now,
            overview: QueueOverview(
                counts: [], oldestUnfinished: nil, leases: [], recentTrouble: [:], nextDueAt: nil, dueNow: 0,
                awaitingReconcile: 0), waitingTotal: 0, waiting: [], workers: workers, troubleSince: 0,
            staleAfterMillis: staleAfter ?? WorkerStatusRow.staleAfterMillis,
            hideAfterMillis: hideAfter ?? OverviewData.defaultHideAfterMillis)
    }

    @Test("a worker that crashed while paused: gone within seconds, its pause never shown as current")
    func crashedWhilePaused() throws {
        let reason = "unreachable: connection refused"
        // Fresh a few heartbeats ago: still paused. Silent for 11 s: gone.
        let fresh = Self.data([Self.row("till-1", ageMillis: 4_000, state: "paused", pauseReason: reason)])
        #expect(Render.overviewJSON(fresh).dispatch.status == "paused")
        let crashed = Self.data([Self.row("till-1", ageMillis: 11_000, state: "paused", pauseReason: reason, inFlight: 2)])
        let text = Render.overviewText(crashed, palette: Palette(enabled: false)).joined(separator: "\n")
        #expect(!text.contains("DISPATCH PAUSED") && !text.contains(reason), "\(text)")
        #expect(text.contains("NO WORKER RUNNING (no heartbeat in the last 10s)"))
        #expect(text.contains("till-1") && text.contains("gone"))
        #expect(text.contains("last 2026-11-21T07:59:49Z (11s ago)"), "\(text)")
        let json = Render.overviewJSON(crashed)
        #expect(json.dispatch.status == "no_worker" && json.dispatch.reasons.isEmpty)
        let worker = try #require(json.workers.first)
        #expect(worker.status == "gone" && worker.reported_state == "paused")
        #expect(worker.pause_reason == nil && worker.paused_since == nil && worker.next_probe_at == nil)
        #expect(worker.reported_pause_reason == reason && worker.heartbeat_age_ms == 11_000)
        // A longer --stale-after keeps it paused (for a slow disk, say).
        let patient = Self.data(
            [Self.row("till-1", ageMillis: 11_000, state: "paused", pauseReason: reason)], staleAfter: 30_000)
        #expect(Render.overviewJSON(patient).dispatch.reasons == [reason])
    }

    @Test("rows silent past --hide-after are left out and counted; live ones always shown")
    func hidden() throws {
        let workers = [
            Self.row("alive", ageMillis: 1_000, state: "running", inFlight: 3),
            Self.row("crashed-today", ageMillis: 3 * 3_600_000, state: "running"),
            Self.row("stopped-last-week", ageMillis: 7 * 86_400_000, state: "stopped"),
            Self.row("crashed-last-week", ageMillis: 6 * 86_400_000, state: "paused", pauseReason: "credentials refused"),
        ]
        let data = Self.data(workers)
        let lines = Render.overviewText(data, palette: Palette(enabled: false))
        let text = lines.joined(separator: "\n")
        for line in lines { #expect(line.count <= 80, "too wide: \(line)") }
        #expect(text.contains("Dispatch: running"))
        #expect(text.contains("alive") && text.contains("crashed-today"))
        #expect(!text.contains("last-week") && !text.contains("credentials refused"))
        #expect(text.contains("2 worker row(s) silent for over 1d00h not shown (--hide-after)"), "\(text)")
        let crashedLine = try #require(lines.first { $0.contains("crashed-today") })
        #expect(crashedLine.contains("gone") && crashedLine.contains("-") && crashedLine.contains("(3h00m ago)"))
        let json = Render.overviewJSON(data)
        #expect(json.workers.map(\.worker) == ["alive", "crashed-today"])
        #expect(json.hidden_workers == 2 && json.hide_after_ms == 86_400_000 && json.stale_after_ms == 10_000)

        let week = Self.data(workers, hideAfter: 8 * 86_400_000)
        let all = Render.overviewJSON(week)
        #expect(all.hidden_workers == 0)
        #expect(all.workers.map(\.status) == ["running", "gone", "stopped", "gone"])
        #expect(all.dispatch.status == "running", "a gone worker's pause is not current")
    }

    @Test("a long attempt history: counts by outcome and the last 5; --all lists every one")
    func attemptSummary() async throws {
        let database = try TestDatabase()
        let store = try database.open()
        let now = SystemWallClock().now()
        let sale = Sample.sale(createdAt: now - 600_000)
        let id = try store.enqueue(sale).id
        let outcomes = Array(repeating: "transient", count: 9) + ["unknown", "unavailable", "transient"]
        for (index, outcome) in outcomes.enumerated() {
            let claimed = try store.claim(owner: "w", now: now, limit: 1, leaseMillis: 30_000)
            precondition(claimed.map(\.id) == [id])
            try store.record(
                [CommandUpdate(
                    commandID: id, precondition: .leasedBy("w"),
                    attempt: AttemptRecord(
                        startedAt: now - 500_000 + Int64(index) * 10_000, durationMillis: 100,
                        httpStatus: outcome == "transient" ? 503 : nil, outcome: outcome, error: "try \(index + 1)"),
                    countsAsAttempt: true,
                    next: .reschedule(dueAt: 0, needsReconcile: false, lastError: "try \(index + 1)"))],
                worker: "w", now: now)
        }
        let show = try await outboxAsync(["inspect", "show", "\(id)"], db: database.path)
        #expect(show.status == 0, "\(show.stderr)")
        let lines = show.stdout.split(separator: "\n").map(String.init)
        for line in lines { #expect(line.count <= 80, "too wide: \(line)") }
        #expect(show.stdout.contains("Attempts (12), the last 5 listed (--all lists every one)"))
        #expect(show.stdout.contains("by outcome: transient 10, unavailable 1, unknown 1"), "\(show.stdout)")
        #expect(show.stdout.contains("… 7 earlier attempt(s) not listed"))
        // The last five rows, not the first ones.
        let attemptRows = lines.filter { $0.hasPrefix("    1  20") }
        #expect(attemptRows.count == 5 && attemptRows.first?.hasSuffix("try 8") == true && attemptRows.last?.hasSuffix("try 12") == true, "\(attemptRows)")

        let all = try await outboxAsync(["inspect", "show", "\(id)", "--all"], db: database.path)
        #expect(all.stdout.contains("Attempts (12)") && !all.stdout.contains("--all lists"))
        #expect(all.stdout.split(separator: "\n").filter { $0.hasPrefix("    1  20") }.count == 12)

        let json = try decode(ShowJSON.self, try await outboxAsync(["inspect", "show", "\(id)", "--json"], db: database.path).stdout)
        #expect(json.attempts.count == 12)
        #expect(json.attempt_counts == ["transient": 10, "unknown": 1, "unavailable": 1])

        // Five or fewer: listed as before, no summary.
        let short = try store.enqueue(Sample.sale()).id
        let few = try await outboxAsync(["inspect", "show", "\(short)"], db: database.path)
        #expect(few.stdout.contains("Attempts (0)") && !few.stdout.contains("by outcome"))
    }
}

/// The same on the built binary, with rows a worker wrote through the store.
@Suite("CLI: worker ageing on the built binary", .serialized)
struct WorkerAgeingEndToEndTests {
    @Test("outbox inspect: gone with the last beat, hidden after a day, --stale-after/--hide-after change it")
    func ageing() async throws {
        let database = try TestDatabase()
        let store = try database.open()
        let now = SystemWallClock().now()
        let reason = "unreachable: connection refused"
        try store.heartbeat(worker: "alive", WorkerHeartbeat(state: "running", startedAt: now - 60_000), now: now - 500)
        try store.heartbeat(
            worker: "crashed",
            WorkerHeartbeat(
                state: "paused", startedAt: now - 600_000, pauseReason: reason, pausedSince: now - 120_000,
                nextProbeAt: now), now: now - 40_000)
        try store.heartbeat(
            worker: "stopped-host-zz", WorkerHeartbeat(state: "stopped", startedAt: now - 8 * 86_400_000), now: now - 7 * 86_400_000)

        let overview = try await outboxAsync(["inspect"], db: database.path)
        #expect(overview.status == 0, "\(overview.stderr)")
        #expect(overview.stdout.contains("Dispatch: running"), "\(overview.stdout)")
        #expect(!overview.stdout.contains(reason) && !overview.stdout.contains("PAUSED"))
        let crashed = try #require(overview.stdout.split(separator: "\n").first { $0.contains("crashed") })
        #expect(crashed.contains("gone") && crashed.contains("last ") && crashed.contains("ago)"), "\(crashed)")
        #expect(!overview.stdout.contains("stopped-host-zz") && overview.stdout.contains("1 worker row(s) silent"))

        let json = try decode(OverviewJSON.self, try await outboxAsync(["inspect", "--json"], db: database.path).stdout)
        #expect(json.workers.map(\.worker) == ["alive", "crashed"] && json.hidden_workers == 1)
        #expect(json.workers[1].status == "gone" && json.workers[1].pause_reason == nil)
        #expect(json.workers[1].reported_pause_reason == reason)

        // 10 minutes, not one: the crashed row is 40 s old when written, and on a busy machine the
        // commands before this one took over 20 s (a failed full run beside two CPU burners).
        let patient = try await outboxAsync(["inspect", "--stale-after", "10m", "--hide-after", "30d"], db: database.path)
        #expect(patient.status == 0, "\(patient.stderr)")
        #expect(patient.stdout.contains("DISPATCH PAUSED") && patient.stdout.contains(reason))
        #expect(patient.stdout.contains("stopped-host-zz") && patient.stdout.contains("stopped"))
        #expect(!patient.stdout.contains("not shown"))

        #expect(try await outboxAsync(["inspect", "--stale-after", "1s"], db: database.path).status == 64)
        #expect(try await outboxAsync(["inspect", "--stale-after", "1h", "--hide-after", "10m"], db: database.path).status == 64)
        let help = try await outboxAsync(["inspect", "overview", "--help"], db: nil)
        #expect(help.stdout.contains("--stale-after") && help.stdout.contains("--hide-after"))
    }
}
