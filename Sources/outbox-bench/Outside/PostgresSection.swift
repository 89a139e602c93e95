import Foundation
import Logging
import OutboxPostgres
import PostgresNIO

/// `--sections postgres`: the worker binary on a PostgreSQL database beside the same worker on a
/// SQLite file, in the same run on the same stand-in (issue 14): backlog drain and CPU per command,
/// insert → request pickup, and the claim with many finished rows; with the machine's limit as
/// pgbench measures it (raw claim + complete of 64 rows per transaction, `FOR UPDATE SKIP LOCKED`,
/// no worker). Needs a server (`--postgres-url`, a role that may create databases; each
/// measurement gets a database of its own, dropped after).
struct PostgresSection {
    let rig: OutsideRig
    let adminURL: String
    let backlog: Int
    let concurrency: Int
    let trickle: Int
    let finishedLarge: Int
    let repeats: Int

    static let quiet = Logger(label: "bench-pg", factory: { _ in SwiftLogNoOpLogHandler() })

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "PostgreSQL (\(adminURL.split(separator: "?").first ?? "")): the worker on PostgreSQL vs on SQLite, same stand-in, c\(concurrency)")
        do {
            var pgDrains: [(rate: Double, cpu: Double)] = []
            var sqliteDrains: [(rate: Double, cpu: Double)] = []
            for round in 0..<repeats {
                for engine in round % 2 == 0 ? ["postgres", "sqlite"] : ["sqlite", "postgres"] {
                    if engine == "postgres" {
                        let drain = try await postgresDrain()
                        pgDrains.append(drain)
                        rig.log(String(format: "postgres drain %d/%d: %.0f /s, %.2f ms CPU/command", round + 1, repeats, drain.rate, drain.cpu))
                    } else {
                        let path = try rig.newDatabase("pg-compare")
                        try await rig.fill(path, count: backlog)
                        let drain = try await WorkerDrain.run(
                            rig: rig, path: path, commands: backlog, concurrency: concurrency, delayMillis: 0)
                        rig.remove(path)
                        sqliteDrains.append((drain.rate, drain.cpuPerCommandMillis))
                        rig.log("sqlite drain \(round + 1)/\(repeats): \(drain.summary)")
                    }
                }
            }
            let pgRate = median(pgDrains.map(\.rate))
            let sqliteRate = median(sqliteDrains.map(\.rate))
            let raw = try await rawLimit()
            section.add(
                "drain, \(backlog) backlog, PostgreSQL", Fmt.rate(pgRate), reference: "SQLite \(Fmt.rate(sqliteRate))",
                ratio: ratio(pgRate, sqliteRate))
            section.add(
                "  same vs raw claim+complete (pgbench, 64/txn)", Fmt.rate(pgRate), reference: Fmt.rate(raw),
                ratio: ratio(pgRate, raw))
            section.add(
                "worker CPU per drained command, PostgreSQL", Fmt.ms(median(pgDrains.map(\.cpu))),
                reference: "SQLite \(Fmt.ms(median(sqliteDrains.map(\.cpu))))",
                ratio: ratio(median(pgDrains.map(\.cpu)), median(sqliteDrains.map(\.cpu))))
            let pickup = try await postgresPickup()
            section.add(
                "insert → request, PostgreSQL (LISTEN/NOTIFY)", "p50 \(Fmt.ms(percentile(pickup, 0.5)))",
                reference: "p99 \(Fmt.ms(percentile(pickup, 0.99)))")
            let (small, large) = try await claimWithHistory()
            section.add(
                "claim+release of 64, \(finishedLarge) finished rows", Fmt.rate(large), reference: "10000 finished \(Fmt.rate(small))",
                ratio: ratio(large, small))
            section.note("the PostgreSQL server runs on this machine: it shares the 2 cores with the worker and the stand-in")
            section.note("raw limit: pgbench -c 2, a transaction claims 64 pending rows (FOR UPDATE SKIP LOCKED) and marks them done; rows/s")
        } catch {
            section.note("failed: \(error)")
        }
        report.sections.append(section)
    }

    func ratio(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, b > 0 else { return "–" }
        return String(format: "%.2f×", a / b)
    }

    // MARK: Databases

    func client(_ url: String) throws -> PostgresClient {
        var configuration = try PostgresLocation(url).clientConfiguration(
            password: ProcessInfo.processInfo.environment["PGPASSWORD"])
        configuration.options.maximumConnections = 4
        return PostgresClient(configuration: configuration, backgroundLogger: Self.quiet)
    }

    /// Runs `body` with a fresh, migrated database (its URL and a running client), dropped after.
    func withDatabase<T>(_ prefix: String, _ body: (String, PostgresClient) async throws -> T) async throws -> T {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try client(adminURL)
        let adminRun = Task { await admin.run() }
        defer { adminRun.cancel() }
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0"))
        let url = databaseURL(name)
        let db = try client(url)
        let run = Task { await db.run() }
        let result: Result<T, any Error>
        do {
            try await PostgresStore(client: db, location: url, logger: Self.quiet).migrate()
            result = .success(try await body(url, db))
        } catch {
            result = .failure(error)
        }
        run.cancel()
        _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        return try result.get()
    }

    /// `adminURL` with its database replaced by `name`.
    func databaseURL(_ name: String) -> String {
        guard var url = URLComponents(string: adminURL) else { return adminURL }
        url.path = "/\(name)"
        return url.string ?? adminURL
    }

    /// `count` valid sales, due now, deadline in 2 h; inserted 1,000 per statement.
    func fill(_ client: PostgresClient, count: Int) async throws -> [String] {
        var keys: [String] = []
        var done = 0
        while done < count {
            let n = min(1_000, count - done)
            let batch = (0..<n).map { _ in UUID().uuidString.lowercased() }
            let payloads = batch.map {
                #"{"TerminalTagCode":"BENCH-1","MerchantUniqueCode":"\#($0)","Amount":22.10,"CurrencyId":1,"Products":[{"Name":"Bench","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}"#
            }
            try await client.query(
                """
                INSERT INTO outbox (command_key, kind, payload, deadline)
                SELECT k, 'async_sale', p, outbox_now_ms() + \(Int64(rig.deadlineMillis))
                  FROM unnest(\(batch)::text[], \(payloads)::text[]) AS t(k, p)
                """)
            keys += batch
            done += n
        }
        return keys
    }

    func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        for try await value in rows.decode(Int64.self) { return Int(value) }
        return 0
    }

    // MARK: Measures

    /// A backlog drained by the worker binary on PostgreSQL: commands/s (first request to last
    /// outcome) and worker CPU per command.
    func postgresDrain() async throws -> (rate: Double, cpu: Double) {
        try await withDatabase("drain") { url, db in try await postgresDrain(url, db) }
    }

    private func postgresDrain(_ url: String, _ db: PostgresClient) async throws -> (rate: Double, cpu: Double) {
        _ = try await fill(db, count: backlog)
        rig.standIn.setDelay(millis: 0)
        rig.standIn.recorder.reset()
        let worker = try await rig.startWorker(url, concurrency: concurrency)
        var cpuAtFirst: Double?
        let limit = ContinuousClock.now + .seconds(600)
        var lastSeen = -1
        var lastProgress = ContinuousClock.now
        while rig.standIn.recorder.requests < backlog {
            let seen = rig.standIn.recorder.requests
            if seen != lastSeen { (lastSeen, lastProgress) = (seen, .now) }
            if ContinuousClock.now - lastProgress > .seconds(60) {
                await worker.stop()
                throw OutsideError("postgres drain: no request for 60 s after \(seen): \(worker.stderrTail())")
            }
            if cpuAtFirst == nil && rig.standIn.recorder.requests > 0 { cpuAtFirst = ProcFS.cpuSeconds(pid: worker.pid) }
            guard worker.isRunning, ContinuousClock.now < limit else {
                await worker.stop()
                throw OutsideError("postgres drain stalled at \(rig.standIn.recorder.requests): \(worker.stderrTail())")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        while try await count(db, "SELECT count(*) FROM inbox WHERE event = 'outcome'") < backlog {
            guard ContinuousClock.now < limit else { throw OutsideError("postgres outcomes missing") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let end = ContinuousClock.now
        let cpu = (ProcFS.cpuSeconds(pid: worker.pid) ?? 0) - (cpuAtFirst ?? 0)
        let first = rig.standIn.recorder.snapshot.firstAt ?? end
        await worker.stop()
        return (Double(backlog) / (end - first).seconds, 1_000 * cpu / Double(backlog))
    }

    /// Single INSERTs at 50/s with the worker idle between them: ms from the INSERT's commit to
    /// the request at the stand-in.
    func postgresPickup() async throws -> [Double] {
        try await withDatabase("pickup") { url, db in try await postgresPickup(url, db) }
    }

    private func postgresPickup(_ url: String, _ db: PostgresClient) async throws -> [Double] {
        rig.standIn.setDelay(millis: 0)
        rig.standIn.recorder.reset()
        let worker = try await rig.startWorker(url, concurrency: concurrency)
        try await Task.sleep(for: .seconds(1))
        var committed: [String: Int64] = [:]
        for _ in 0..<trickle {
            let keys = try await fill(db, count: 1)
            committed[keys[0]] = Int64(Date().timeIntervalSince1970 * 1_000_000)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .seconds(2))
        await worker.stop()
        let received = rig.standIn.recorder.snapshot.receivedAt
        return committed.compactMap { key, at in received[key].map { Double($0 - at) / 1_000 } }
    }

    /// The machine's limit: pgbench, 2 clients, each transaction claiming 64 pending rows of a
    /// plain table with FOR UPDATE SKIP LOCKED and marking them done. Rows per second.
    func rawLimit() async throws -> Double {
        try await withDatabase("raw") { url, db in
        try await db.query("CREATE TABLE raw_queue (id bigserial PRIMARY KEY, state text NOT NULL, due_at bigint NOT NULL)")
        try await db.query("INSERT INTO raw_queue (state, due_at) SELECT 'pending', g FROM generate_series(1, 60000) AS g")
        try await db.query("CREATE INDEX raw_due ON raw_queue (due_at, id) WHERE state = 'pending'")
        try await db.query("VACUUM ANALYZE raw_queue")
        let script = """
            UPDATE raw_queue SET state = 'done'
             WHERE id IN (SELECT id FROM raw_queue WHERE state = 'pending' ORDER BY due_at, id LIMIT 64 FOR UPDATE SKIP LOCKED);
            """
        // A fixed number of transactions (-t): a queue's table fills with dead rows as it drains,
        // and a timed run on it would measure the vacuum's lag more than the claims.
        let tps = try pgbench(url: url, script: script, transactions: 400)
        return tps * 64
        }
    }

    /// Claim + release of 64 pending rows (the worker's claim statement) with 10,000 and with
    /// `finishedLarge` finished rows in the table: transactions per second of each, times 64.
    func claimWithHistory() async throws -> (small: Double, large: Double) {
        var rates: [Double] = []
        for finished in [10_000, finishedLarge] {
            rates.append(try await withDatabase("history") { url, db in
            // Finished history written as the worker would leave it (the producer trigger off
            // for the fill: it refuses worker columns, as it should).
            try await db.query("ALTER TABLE outbox DISABLE TRIGGER USER")
            try await db.query(
                """
                INSERT INTO outbox (command_key, kind, payload, state, finished_at, created_at)
                SELECT gen_random_uuid()::text, 'async_sale', '{}', 'succeeded', g, g FROM generate_series(1, \(Int64(finished))) AS g
                """)
            try await db.query(
                """
                INSERT INTO outbox (command_key, kind, payload, created_at)
                SELECT gen_random_uuid()::text, 'async_sale', '{}', g FROM generate_series(1, 2000) AS g
                """)
            try await db.query("ALTER TABLE outbox ENABLE TRIGGER USER")
            try await db.query("VACUUM ANALYZE outbox")
            let script = """
                BEGIN;
                UPDATE outbox SET state = 'in_flight', lease_owner = 'bench', lease_expires_at = 1
                 WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= 1
                               ORDER BY due_at, id LIMIT 64 FOR UPDATE SKIP LOCKED);
                UPDATE outbox SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL
                 WHERE state = 'in_flight' AND lease_owner = 'bench';
                COMMIT;
                """
            return try pgbench(url: url, script: script, transactions: 2_000, clients: 1) * 64
            })
        }
        return (rates[0], rates[1])
    }

    /// Runs pgbench with `script`, `transactions` per client (killed after 120 s); its tps.
    func pgbench(url: String, script: String, transactions: Int, clients: Int = 2) throws -> Double {
        let file = "\(rig.directory)/pgbench-\(UUID().uuidString.prefix(8)).sql"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let binary = ["/usr/bin/pgbench"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/pgbench" }
        guard let pgbench = binary.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw OutsideError("no pgbench (apt-get install postgresql-client)")
        }
        let location = try PostgresLocation(url)
        var arguments = ["-n", "-c", "\(clients)", "-j", "\(clients)", "-t", "\(transactions)", "-f", file, "-U", location.user]
        arguments += ["-h", location.host, "-p", "\(location.port)", location.database]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pgbench)
        process.arguments = arguments
        let output = "\(rig.directory)/pgbench-\(UUID().uuidString.prefix(8)).out"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        watchdog.cancel()
        try? handle.close()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 == "." || $0.isNumber })
        else { throw OutsideError("pgbench failed: \(text.suffix(400))") }
        return tps
    }
}
