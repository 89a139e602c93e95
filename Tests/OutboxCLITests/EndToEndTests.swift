import Foundation
import GRDB
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxCLI
@testable import OutboxStore

/// A child process that runs until told to stop, with its stdout readable line by line.
final class Child {
    let process = Process()
    let stdin = Pipe()
    let stdout = Pipe()
    private var buffer = ""

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try ChildProcess.start(process)
    }

    /// Reads until a line equal to `marker` arrives; returns the lines before it, or nil when
    /// the child closed its stdout first (it failed).
    func lines(until marker: String) -> [String]? {
        while !buffer.split(separator: "\n").contains(Substring(marker)) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
        let all = buffer.split(separator: "\n").map(String.init)
        return Array(all.prefix { $0 != marker })
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("CLI: the built `outbox` binary on prepared databases", .serialized)
struct EndToEndTests {
    let database: TestDatabase
    let store: OutboxStore

    init() throws {
        database = try TestDatabase()
        store = try database.open()
    }

    var db: String { database.path }

    @Test("a missing database: exit 2 and a clear message; with --json also a JSON error")
    func missing() throws {
        let path = database.directory.appendingPathComponent("nope.sqlite").path
        let ran = try outbox(["inspect"], db: path)
        #expect(ran.status == 2)
        #expect(ran.stderr.contains("no outbox database at \(path)"))
        #expect(!FileManager.default.fileExists(atPath: path), "a read command must not create the file")
        let json = try outbox(["inspect", "list", "--json"], db: path)
        #expect(json.status == 2)
        let error = try decode(ErrorJSON.self, json.stdout)
        #expect(error.error.status == 2)
        // $OUTBOX_DB is honoured.
        let env = try outbox(["inspect"], db: nil, environment: ["OUTBOX_DB": path])
        #expect(env.status == 2 && env.stderr.contains(path))
    }

    @Test("a dead sale: overview, list, show (masked, --reveal), then retry with the confirmation rules")
    func deadSale() throws {
        let now = SystemWallClock().now()
        let (id, key) = try Sample.deadSale(store, now: now)
        let cancel = try store.enqueue(
            NewCommand(commandKey: Sample.guid(), kind: .asyncCancel, payload: "{}", saleKey: key)).id
        _ = try store.enqueue(Sample.sale())

        let overview = try outbox(["inspect"], db: db)
        #expect(overview.status == 0, "\(overview.stderr)")
        #expect(overview.stdout.contains("Last 24h: dead 1, expired 0, failed 0"))
        #expect(overview.stdout.contains("NO WORKER RUNNING"))
        #expect(!overview.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        for line in overview.stdout.split(separator: "\n") { #expect(line.count <= 80, "too wide: \(line)") }
        let json = try decode(OverviewJSON.self, try outbox(["inspect", "--json"], db: db).stdout)
        #expect(json.totals == ["dead": 1, "pending": 2] && json.last_24h.dead == 1 && json.schema_version == OutboxStore.latestSchemaVersion)

        let list = try outbox(["inspect", "list", "--state", "dead", "--since", "1h"], db: db)
        #expect(list.status == 0 && list.stdout.contains("dead") && list.stdout.split(separator: "\n").count == 2)
        let listJSON = try decode(ListJSON.self, try outbox(["inspect", "list", "--state", "dead", "--json"], db: db).stdout)
        #expect(listJSON.commands.map(\.id) == [id] && listJSON.commands[0].command_key == key)

        // Show by MerchantUniqueCode prefix: masked, with attempts, related cancel and inbox outcome.
        let show = try outbox(["inspect", "show", String(key.prefix(13))], db: db)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("Command #\(id)") && show.stdout.contains("dead"))
        #expect(!show.stdout.contains("ayse@example.com") && !show.stdout.contains("Yılmaz"))
        #expect(show.stdout.contains(#""Email": "***""#) && show.stdout.contains(#""Amount": 22.10"#))
        #expect(show.stdout.contains("503") && show.stdout.contains("timed out after 30s"))
        #expect(show.stdout.contains("async_cancel") && show.stdout.contains("attempts_exhausted"))
        #expect(show.stdout.contains("repair: outbox retry \(id)"))
        for line in show.stdout.split(separator: "\n") { #expect(line.count <= 80, "too wide: \(line)") }
        let revealed = try outbox(["inspect", "show", key, "--reveal"], db: db)
        #expect(revealed.stdout.contains("ayse@example.com"))
        let showJSON = try decode(ShowJSON.self, try outbox(["inspect", "show", "\(id)", "--json"], db: db).stdout)
        #expect(showJSON.masked && showJSON.payload.contains(#""Email":"***""#) && showJSON.payload.contains("22.10"))
        #expect(showJSON.attempts.map(\.outcome) == ["transient", "unknown"] && showJSON.attempts[0].http_status == 503)
        #expect(showJSON.related.map(\.id) == [cancel] && showJSON.inbox.first?.outcome == "dead")

        #expect(try outbox(["inspect", "show", "ffffffff"], db: db).status == 2)

        // Retry: no terminal and no --yes → declined, nothing changed.
        let declined = try outbox(["retry", "\(id)"], db: db, input: "y\n")
        #expect(declined.status == 10 && declined.stderr.contains("--yes"))
        #expect(try store.command(id: id)?.state == .dead)
        // Retrying a pending command is refused.
        #expect(try outbox(["retry", "\(cancel)", "--yes"], db: db).status == 3)
        // With --yes: a new generation that reconciles before any resend, and an audit entry.
        let retried = try outbox(["retry", key, "--yes", "--json", "--note", "terminal back"], db: db)
        #expect(retried.status == 0, "\(retried.stderr)")
        let action = try decode(ActionJSON.self, retried.stdout)
        #expect(action.action == "retry" && action.generation == 2 && action.needs_reconcile == true)
        let after = try #require(try store.command(id: id))
        #expect(after.state == .pending && after.needsReconcile && after.attempts == 0)
        #expect(try #require(after.deadline) > now)
        let audit = try store.auditEntries(outboxID: id)
        #expect(audit.count == 1 && audit[0].actor == "tester" && audit[0].action == "retry")
        #expect(try outbox(["inspect", "show", "\(id)"], db: db).stdout.contains("tester retry"))
    }

    @Test("with a worker holding leases: inspect reports them and discard refuses in-flight commands")
    func workerHoldingLeases() throws {
        let ids = try (0..<4).map { _ in try store.enqueue(Sample.sale()).id }
        let holder = try Child(
            BuiltProducts.executable("outbox-bench").path,
            ["hold", "--db", db, "--owner", "worker-7", "--count", "2", "--lease-ms", "600000"])
        defer { holder.kill() }
        let held = try #require(holder.lines(until: "ready")).compactMap { $0.hasPrefix("held ") ? Int64($0.dropFirst(5)) : nil }
        #expect(held == Array(ids[0..<2]))

        let overview = try outbox(["inspect"], db: db)
        #expect(overview.status == 0)
        #expect(overview.stdout.contains("Leases in flight: 2") && overview.stdout.contains("worker-7"))
        let json = try decode(OverviewJSON.self, try outbox(["inspect", "--json"], db: db).stdout)
        #expect(json.leases.map(\.owner) == ["worker-7"] && json.leases[0].count == 2)

        let refused = try outbox(["discard", "\(held[0])", "--yes"], db: db)
        #expect(refused.status == 3 && refused.stderr.contains("in flight"))
        #expect(try store.command(id: held[0])?.state == .inFlight)

        let discarded = try outbox(["discard", "\(ids[3])", "--yes", "--json"], db: db)
        #expect(discarded.status == 0, "\(discarded.stderr)")
        let action = try decode(ActionJSON.self, discarded.stdout)
        #expect(action.id == ids[3] && action.inbox_id != nil)
        let inbox = try store.inbox(after: 0)
        #expect(inbox.count == 1 && inbox[0].outcome?.outcome == .discarded)
        #expect(inbox[0].outcome?.message == "discarded by operator")
        #expect(try outbox(["discard", "\(ids[2])"], db: db).status == 10)
    }

    @Test("while a worker drains: reads never wait or fail, enqueued commands get drained")
    func workerDraining() throws {
        for _ in 0..<300 { _ = try store.enqueue(Sample.sale()) }
        let stop = database.directory.appendingPathComponent("stop").path
        let drainer = try Child(
            BuiltProducts.executable("outbox-bench").path,
            ["drain", "--db", db, "--owner", "drainer", "--stop-file", stop, "--batch", "2"])
        var keys: [String] = []
        for round in 0..<5 {
            let read = try outbox(["inspect", "--json", "--busy-timeout", "0"], db: db)
            #expect(read.status == 0, "round \(round): \(read.stderr)")
            _ = try decode(OverviewJSON.self, read.stdout)
            let list = try outbox(["inspect", "list", "--limit", "5", "--busy-timeout", "0"], db: db)
            #expect(list.status == 0, "round \(round): \(list.stderr)")
            let queued = try outbox(["enqueue", "sale", "--terminal-tag", "E2E", "--amount", "1.05"], db: db)
            #expect(queued.status == 0, "\(queued.stderr)")
            keys.append(queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        drainer.process.waitUntilExit()
        #expect(drainer.process.terminationStatus == 0)
        let done = try store.list(CommandFilter(terminal: "E2E", limit: 10))
        #expect(Set(done.map(\.commandKey)) == Set(keys))
        #expect(done.allSatisfy { $0.state == .succeeded })
        #expect(done.allSatisfy { $0.payload.contains(#""Amount":1.05"#) })
    }

    @Test("a locked database: exit 4 after --busy-timeout, with a message that says so")
    func locked() throws {
        // A file no connection of this process keeps open: an EXCLUSIVE-mode lock needs that.
        let other = try TestDatabase()
        do { _ = try other.open().enqueue(Sample.sale()) }
        let db = other.path
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("PRAGMA locking_mode=EXCLUSIVE")
            c.execute("BEGIN EXCLUSIVE")
            c.execute("DELETE FROM inbox WHERE 0")
            c.execute("COMMIT")
            print("locked", flush=True)
            sys.stdin.read()
            """
        let locker = try Child("/usr/bin/env", ["python3", "-c", script, db])
        defer { locker.kill() }
        #expect(locker.lines(until: "locked") != nil, "the locker could not take the lock")
        let ran = try outbox(["inspect", "--busy-timeout", "0.2"], db: db)
        #expect(ran.status == 4)
        #expect(ran.stderr.contains("locked"))
        let write = try outbox(["enqueue", "approve", "--payment-id", "5", "--busy-timeout", "0.2"], db: db)
        #expect(write.status == 4)
    }

    @Test("schema: newer refused (5), older refused until `outbox migrate --yes` (audited)")
    func schema() throws {
        let queue = try DatabaseQueue(path: db)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 99") }
        let newer = try outbox(["inspect"], db: db)
        #expect(newer.status == 5 && newer.stderr.contains("schema version 99"))

        let old = database.directory.appendingPathComponent("v1.sqlite").path
        try DatabaseQueue(path: old).writeWithoutTransaction { try $0.execute(sql: embeddedMigrations[0].sql) }
        let stale = try outbox(["inspect"], db: old)
        #expect(stale.status == 5 && stale.stderr.contains("outbox migrate"))
        let dry = try outbox(["migrate", "--dry-run", "--json"], db: old)
        #expect(dry.status == 0)
        #expect(try decode(ActionJSON.self, dry.stdout).migration?.applied == Array(2...OutboxStore.latestSchemaVersion))
        #expect(try outbox(["migrate"], db: old).status == 10)
        let migrated = try outbox(["migrate", "--yes"], db: old)
        #expect(migrated.status == 0 && migrated.stdout.contains("v1 → v\(OutboxStore.latestSchemaVersion)"), "\(migrated.stderr)")
        #expect(try outbox(["inspect"], db: old).status == 0)
        #expect(try outbox(["migrate", "--yes"], db: old).stdout.contains("nothing to do"))
        let fresh = database.directory.appendingPathComponent("new.sqlite").path
        #expect(try outbox(["migrate", "--yes"], db: fresh).status == 0)
        #expect(try outbox(["inspect"], db: fresh).status == 0)
    }

    @Test("enqueue: prints the key, keeps the amount exact, is idempotent, refuses invalid payloads (3)")
    func enqueue() throws {
        let muc = "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"
        let first = try outbox(
            ["enqueue", "sale", "--terminal-tag", "T1", "--amount", "22.10", "--merchant-unique-code", muc], db: db)
        #expect(first.status == 0 && first.stdout == muc + "\n", "\(first.stderr)")
        #expect(first.stderr.contains("queued #"))
        let again = try outbox(
            ["enqueue", "sale", "--terminal-tag", "T1", "--amount", "22.10", "--merchant-unique-code", muc, "--json"],
            db: db)
        #expect(again.status == 0)
        #expect(try decode(ActionJSON.self, again.stdout).inserted == false)
        let row = try #require(try store.find(reference: muc).first)
        #expect(row.payload.contains(#""Amount":22.10"#))
        #expect(try store.auditEntries(outboxID: row.id).map(\.action) == ["enqueue"])

        let file = database.directory.appendingPathComponent("bad.json").path
        try #"{"TerminalTagCode":"T","MerchantUniqueCode":"9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f","Amount":5}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try outbox(["enqueue", "--kind", "async_sale", "--payload-file", file], db: db)
        #expect(bad.status == 3 && bad.stderr.contains("CurrencyId"), "\(bad.stderr)")
        let cancel = try outbox(["enqueue", "cancel", "--sale-key", muc], db: db)
        #expect(cancel.status == 0)
        let viaStdin = try outbox(
            ["enqueue", "--kind", "sync_pair_request", "--payload-file", "-"], db: db,
            input: #"{"TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"}"#)
        #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
        #expect(try store.list(CommandFilter(limit: 10)).count == 3)
        let dry = try outbox(["enqueue", "approve", "--payment-id", "9", "--dry-run"], db: db)
        #expect(dry.status == 0)
        #expect(try store.list(CommandFilter(limit: 10)).count == 3)
    }

    @Test("purge: dry run counts, --yes deletes, inbox rows kept by default")
    func purge() throws {
        let now = SystemWallClock().now()
        let (id, _) = try Sample.deadSale(store, now: now - 3 * 86_400_000)
        _ = try store.enqueue(Sample.sale())
        let dry = try outbox(["purge", "--older-than", "1d", "--dry-run", "--json"], db: db)
        #expect(dry.status == 0)
        let plan = try #require(try decode(ActionJSON.self, dry.stdout).purge)
        #expect(plan.commands == 1 && plan.attempts == 2 && plan.dry_run)
        #expect(try outbox(["purge", "--older-than", "1d"], db: db).status == 10)
        let done = try outbox(["purge", "--older-than", "1d", "--yes"], db: db)
        #expect(done.status == 0 && done.stdout.contains("deleted 1 command(s), 2 attempt(s), 0 inbox row(s)"))
        #expect(try store.command(id: id) == nil)
        #expect(try store.inbox(after: 0).count == 1)
        #expect(try store.auditEntries().first?.action == "purge")
    }

    @Test("an ambiguous reference lists the candidates and exits 6; a row id always resolves")
    func ambiguous() throws {
        let a = try store.enqueue(Sample.sale("abcdef01-0000-4000-8000-000000000001")).id
        _ = try store.enqueue(Sample.sale("abcdef01-0000-4000-8000-000000000002"))
        let ran = try outbox(["inspect", "show", "abcdef01"], db: db)
        #expect(ran.status == 6)
        #expect(ran.stderr.contains("matches 2 commands") && ran.stderr.contains("abcdef01-0000-4000-8000-000000000002"))
        let json = try outbox(["retry", "abcdef01", "--json", "--yes"], db: db)
        #expect(json.status == 6)
        #expect(try decode(ErrorJSON.self, json.stdout).error.details.count == 2)
        #expect(try outbox(["inspect", "show", "\(a)"], db: db).status == 0)
        #expect(try outbox(["inspect", "show", "abcdef01-0000-4000-8000-000000000001"], db: db).status == 0)
    }

    @Test(
        "on a terminal (a pty from script(1)): y/N is asked, 'n' declines (10), 'y' proceeds; colour unless NO_COLOR",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func terminal() throws {
        let id = try store.enqueue(Sample.sale()).id
        _ = try Sample.deadSale(store, now: SystemWallClock().now())
        let exe = BuiltProducts.executable("outbox").path
        func onTerminal(_ arguments: String, input: String, environment: [String: String] = [:]) throws -> Ran {
            try run("/usr/bin/script", ["-qec", "\(exe) \(arguments) --db \(db)", "/dev/null"], input: input, environment: environment)
        }
        let no = try onTerminal("discard \(id)", input: "n\n")
        #expect(no.status == 10 && no.stdout.contains("Discard it? [y/N]"))
        #expect(try store.command(id: id)?.state == .pending)
        let yes = try onTerminal("discard \(id)", input: "y\n")
        #expect(yes.status == 0 && yes.stdout.contains("discarded #\(id)"), "\(yes.stdout)")
        #expect(try store.command(id: id)?.state == .discarded)
        // Colour is on (which colours appear depends on the fixture's rows at that moment).
        // The runner's own environment may say TERM=dumb or NO_COLOR (CI logs to a file): state
        // a colour terminal explicitly for the check that colour is on.
        let colour = try onTerminal("inspect", input: "", environment: ["TERM": "xterm-256color", "NO_COLOR": ""])
        #expect(colour.stdout.contains("\u{1B}["), "\(colour.stdout)")
        let plain = try onTerminal("inspect", input: "", environment: ["NO_COLOR": "1"])
        #expect(plain.status == 0 && !plain.stdout.contains("\u{1B}["))
    }

    @Test("a paused worker (as its worker_status row says) and a gone one, through the binary")
    func pausedDispatch() throws {
        let now = SystemWallClock().now()
        // A product connection: schema 003 refuses worker_status writes from any other.
        try DatabaseQueue(path: db, configuration: ProductConnection.configuration(label: "test", busyTimeoutSeconds: 5))
            .write { database in
            try database.execute(
                sql: """
                    INSERT INTO worker_status (worker, started_at, heartbeat_at, state, pause_reason, paused_since,
                                               next_probe_at, in_flight)
                    VALUES ('store1-4711-ab12', ?, ?, 'paused', 'credentials refused (HTTP 401)', ?, ?, 0),
                           ('old-host-1-zz', 0, ?, 'running', NULL, NULL, NULL, 0)
                    """, arguments: [now - 60_000, now - 1_000, now - 30_000, now + 20_000, now - 600_000])
        }
        let ran = try outbox(["inspect"], db: db)
        #expect(ran.status == 0)
        #expect(ran.stdout.contains("DISPATCH PAUSED") && ran.stdout.contains("why: credentials refused (HTTP 401)"))
        #expect(ran.stdout.contains("old-host-1-zz") && ran.stdout.contains("gone"))
        let json = try decode(OverviewJSON.self, try outbox(["inspect", "--json"], db: db).stdout)
        #expect(json.dispatch.status == "paused" && json.workers.map { $0.status } == ["gone", "paused"])
    }

    @Test("--help on every command exits 0 with an example; bad usage exits 64")
    func help() throws {
        for command in [
            [], ["inspect"], ["inspect", "list"], ["inspect", "show"], ["retry"], ["discard"], ["purge"], ["migrate"],
            ["enqueue"], ["enqueue", "sale"], ["enqueue", "cancel"], ["enqueue", "rollback"], ["enqueue", "approve"],
            ["enqueue", "pair-request"], ["enqueue", "pair-confirm"],
        ] {
            let ran = try outbox(command + ["--help"], db: nil)
            #expect(ran.status == 0 && ran.stdout.contains("Example"), "\(command)")
        }
        #expect(try outbox(["inspect", "list", "--state", "zombie"], db: db).status == 64)
        #expect(try outbox(["frobnicate"], db: db).status == 64)
    }
}
