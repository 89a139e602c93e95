import Foundation
import OutboxModel
@testable import OutboxStore
import PaywallClient
import Testing

@testable import OutboxCLI

@Suite("CLI: pure rendering, masking and formatting")
struct RenderTests {
    @Test("times are UTC ISO-8601 with milliseconds; ages use two units", arguments: [
        (Int64(0), "0ms"), (850, "850ms"), (42_000, "42s"), (192_000, "3m12s"), (7_500_000, "2h05m"),
        (277_200_000, "3d05h"),
    ])
    func durations(millis: Int64, text: String) {
        #expect(Format.duration(millis) == text)
    }

    @Test("ISO stamps")
    func iso() {
        #expect(Format.iso(1_795_248_000_123) == "2026-11-21T08:00:00.123Z")
        #expect(Format.isoShort(1_795_248_000_123) == "2026-11-21T08:00:00Z")
        #expect(Format.relative(1_000, now: 4_000) == "3s ago")
        #expect(Format.relative(9_000, now: 4_000) == "in 5s")
        #expect(TimeSpec(argument: "2026-11-21T08:00:00.123Z") == .absolute(1_795_248_000_123))
        #expect(TimeSpec(argument: "2026-11-21") == .absolute(1_795_219_200_000))
        #expect(TimeSpec(argument: "90s") == .relative(90_000))
        #expect(DurationSpec(argument: "1d2h3m4s5ms")?.millis == 93_784_005)
        #expect(DurationSpec(argument: "5x") == nil && DurationSpec(argument: "m") == nil)
    }

    @Test("dates print zero-padded: single-digit months, days, hours, minutes, seconds and milliseconds")
    func zeroPadded() {
        // 2001-02-03T04:05:06.007Z
        #expect(Format.iso(981_173_106_007) == "2001-02-03T04:05:06.007Z")
        #expect(Format.isoShort(981_173_106_007) == "2001-02-03T04:05:06Z")
        #expect(Format.iso(946_684_800_000) == "2000-01-01T00:00:00.000Z")
    }

    @Test("sizes use binary units", arguments: [
        (Int64(812), "812 B"), (4_096, "4.0 KiB"), (114_503_270, "109.2 MiB"), (1_610_612_736, "1.5 GiB"),
    ])
    func sizes(bytes: Int64, text: String) {
        #expect(Format.bytes(bytes) == text)
    }

    @Test("customer personal data is masked, everything else kept exactly (order, literals)")
    func masking() throws {
        let payload = try JSONValue.parse(
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":22.10,"#
                + #""Customer":{"Type":1,"FirstName":"Ayşe","LastName":"Yılmaz","Email":"a@b.c","Phone":"+90555","#
                + #""Identity":"12345678901","TaxNumber":"123","Address":"Bağdat Cd. 1","City":"İstanbul"},"#
                + #""Products":[{"Name":"Coffee","Amount":11.05,"Quantity":2}],"Extra":{"email":"x@y.z"}}"#)
        let masked = Masking.masked(payload).serialized()
        #expect(
            masked
                == #"{"TerminalTagCode":"T1","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":22.10,"#
                + #""Customer":{"Type":1,"FirstName":"***","LastName":"***","Email":"***","Phone":"***","#
                + #""Identity":"***","TaxNumber":"***","Address":"***","City":"***"},"#
                + #""Products":[{"Name":"Coffee","Amount":11.05,"Quantity":2}],"Extra":{"email":"***"}}"#)
        for secret in ["Ayşe", "Yılmaz", "a@b.c", "+90555", "12345678901", "Bağdat", "İstanbul", "x@y.z"] {
            #expect(!masked.contains(secret))
        }
        #expect(Masking.maskedText("not json") == "(not JSON; hidden, --reveal shows it)")
        #expect(Masking.maskedText(nil) == nil)
    }

    @Test("pretty JSON keeps member order and number literals")
    func pretty() throws {
        let lines = PrettyJSON.lines(try JSONValue.parse(#"{"b":1.50,"a":[true,null],"c":{}}"#))
        #expect(lines == ["{", #"  "b": 1.50,"#, #"  "a": ["#, "    true,", "    null", "  ],", #"  "c": {}"#, "}"])
    }

    @Test("tables fit 80 columns and cut the flexible column with …")
    func tables() {
        let lines = Format.table(
            header: ["ID", "KIND", "KEY"],
            rows: [["1", "async_sale", String(repeating: "k", count: 200)], ["22", "sync_cancel_rollback", "short"]])
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(lines[1].hasSuffix("…"))
        #expect(lines[2].hasSuffix("short"))
    }

    static let now: EpochMillis = 1_795_248_000_000

    static func command(
        id: Int64 = 7, state: CommandState = .dead, kind: String = "async_sale", lastError: String? = "timed out",
        payload: String = #"{"TerminalTagCode":"T1","Customer":{"Type":1,"Email":"a@b.c"}}"#
    ) throws -> OutboxCommand {
        // OutboxCommand has no public initializer: build one through a real store.
        let database = try TestDatabase()
        let store = try database.open()
        let key = Sample.guid()
        _ = try store.enqueue(
            NewCommand(
                commandKey: key, kind: .asyncSale,
                payload: #"{"TerminalTagCode":"T1","MerchantUniqueCode":"\#(key)","Amount":1,"CurrencyId":1,"Customer":{"Type":1,"Email":"a@b.c"}}"#))
        return try #require(try store.list(CommandFilter(limit: 1)).first)
    }

    @Test("the overview shows pause, gone workers, waiting commands, leases, trouble; every line ≤ 80 columns")
    func overview() throws {
        let cmd = try Self.command()
        var waiting = cmd
        waiting.lastError = "waiting: sale 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61 not accepted yet by Paywall (due to retry)"
        waiting.dueAt = Self.now + 5_000
        let data = OverviewData(
            database: "/var/lib/paywall/" + String(repeating: "very-long-folder/", count: 6) + "outbox.sqlite",
            schemaVersion: 2, now: Self.now,
            overview: QueueOverview(
                counts: [
                    .init(state: .pending, kind: "async_sale", count: 12), .init(state: .pending, kind: "sync_cancel", count: 3),
                    .init(state: .pending, kind: "sync_sale_rollback", count: 1),
                    .init(state: .pending, kind: "marketplace_approve", count: 1),
                    .init(state: .pending, kind: "async_pair_request", count: 2),
                    .init(state: .pending, kind: "sync_cancel_rollback", count: 4),
                    .init(state: .dead, kind: "async_sale", count: 1),
                ],
                oldestUnfinished: cmd,
                leases: [.init(owner: "store1-host-4711-ab12", count: 3, earliestExpiry: Self.now - 2_000)],
                recentTrouble: [.dead: 1], nextDueAt: Self.now + 12_000, dueNow: 5, awaitingReconcile: 1),
            waitingTotal: 1, waiting: [waiting],
            workers: [
                WorkerStatusRow(
                    worker: "store1-host-4711-ab12", startedAt: Self.now - 3_600_000, heartbeatAt: Self.now - 1_000,
                    state: "paused", pauseReason: "unreachable: connection refused", pausedSince: Self.now - 60_000,
                    nextProbeAt: Self.now + 15_000, inFlight: 0, checkpointAt: nil, walPages: nil),
                WorkerStatusRow(
                    worker: "old-host-1-zz", startedAt: 0, heartbeatAt: Self.now - 600_000, state: "running",
                    pauseReason: nil, pausedSince: nil, nextProbeAt: nil, inFlight: 2, checkpointAt: nil, walPages: nil),
            ],
            troubleSince: Self.now - 86_400_000)
        let lines = Render.overviewText(data, palette: Palette(enabled: false))
        let text = lines.joined(separator: "\n")
        for line in lines { #expect(line.count <= 80, "too wide: \(line)") }
        #expect(text.contains("DISPATCH PAUSED"))
        #expect(text.contains("why: unreachable: connection refused"))
        #expect(text.contains("next probe 2026-11-21T08:00:15.000Z (in 15s)"))
        #expect(text.contains("old-host-1-zz") && text.contains("gone"))
        #expect(text.contains("Waiting on a dependency (sale, rollback window, ...): 1"))
        #expect(text.contains("Leases in flight: 3") && text.contains("EXPIRED 2s ago"))
        #expect(text.contains("Last 24h: dead 1, expired 0, failed 0"))
        #expect(text.contains("next scheduled retry: 2026-11-21T08:00:12Z (in 12s)"))
        #expect(text.contains("pending         23"))
        #expect(!text.contains("\u{1B}["))
        let colored = Render.overviewText(data, palette: Palette(enabled: true)).joined()
        #expect(colored.contains("\u{1B}[31m"))

        let json = Render.overviewJSON(data)
        #expect(json.dispatch.status == "paused" && json.dispatch.reasons == ["unreachable: connection refused"])
        #expect(json.workers.map { $0.status } == ["paused", "gone"])
        #expect(json.totals == ["pending": 23, "dead": 1])
        #expect(json.waiting.total == 1 && json.leases.first?.expired == true)
        let encoded = Render.json(json)
        #expect(encoded.contains(#""awaiting_reconcile" : 1"#))
        // Keys are sorted: a stable shape for scripts.
        let keys = encoded.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(keys == keys.sorted())
    }

    @Test("no worker at all is said plainly")
    func noWorker() throws {
        let data = OverviewData(
            database: "o.sqlite", schemaVersion: 2, now: Self.now,
            overview: QueueOverview(
                counts: [], oldestUnfinished: nil, leases: [], recentTrouble: [:], nextDueAt: nil, dueNow: 0,
                awaitingReconcile: 0), waitingTotal: 0, waiting: [], workers: [], troubleSince: 0)
        #expect(Render.overviewText(data, palette: Palette(enabled: false)).contains { $0.hasPrefix("NO WORKER RUNNING") })
        #expect(Render.overviewJSON(data).dispatch.status == "no_worker")
    }

    @Test("list fits 80 columns and says when it was cut at the limit")
    func list() throws {
        let cmd = try Self.command()
        let lines = Render.listText([cmd, cmd], limit: 2, now: Self.now)
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(lines.last?.contains("raise --limit") == true)
        #expect(Render.listText([], limit: 5, now: Self.now) == ["no commands match"])
        let json = Render.listJSON([cmd], limit: 5, now: Self.now)
        #expect(json.commands.first?.id == cmd.id && !json.truncated)
    }
}
