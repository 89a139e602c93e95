import ArgumentParser
import Foundation

/// `outbox-bench outside`: measures the `worker` binary from outside, as it runs in production
/// (issue 11): producers in other processes, a fixed-answer stand-in for Paywall, the worker as a
/// child process; beside peers measured in the same run on the same stand-in.
struct OutsideBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outside",
        abstract: "Measure the worker binary from outside, beside peers in the same run, and print one table with ratios.",
        discussion: """
            Everything runs on this machine, in separate processes:
            - a fixed-answer stand-in for Paywall: a one-thread NIO HTTP/1.1
              server inside this process, keep-alive, --delay-ms per answer;
              it counts requests in flight, notes when each MerchantUniqueCode
              arrives and reports its own CPU;
            - the worker binary (--worker; default: `worker` next to this
              executable) as a child process, pointed at the stand-in with
              dummy credentials;
            - producers: python3's sqlite3 inserting valid sales (deadline 2 h)
              into databases created at the current schema;
            - peers, pip-installed into a virtual environment at run time
              (--venv): litequeue draining the same stand-in over one
              keep-alive http.client connection, and huey's idle consumer;
              a raw SQLite reference (GRDB, batched) and "HTTP alone" (the
              worker's own AsyncHTTPClient transport sending to the stand-in,
              no database: the floor under any drain) run in this process.
              If pip fails, the peer rows say so and the run goes on.

            Sections (--sections, comma-separated; all but census by default):
              drain        backlog drain rate, CPU per command, stand-in CPU,
                           RSS; vs litequeue, raw SQLite, our store and
                           HTTP alone
              latency      insert->request p50/p99 of a trickle vs litequeue
                           put->request; idle CPU vs huey's idle consumer
              concurrency  drain vs concurrency / round trip, for each of
                           --concurrency-targets (issue 11: >= 0.8)
              memory       RSS idle, after 1k, after --commands, after idling
              insert       producer INSERT into our schema vs a plain table
                           (NORMAL, FULL); what each group of checks costs
              history      drain with --finished-small vs --finished-large
                           finished commands in the table
              census       (or --sql-census) SQLite statements, transactions
                           and system calls per command, inside the worker
              postgres     (only when asked; needs --postgres-url) the worker
                           on PostgreSQL vs on SQLite: drain, CPU per command,
                           pickup (LISTEN/NOTIFY), claim with --finished-large
                           finished rows vs 10000; pgbench's raw claim+complete
                           as the machine's limit

            Repeats are interleaved (each contender once per round, order
            rotated); the table shows medians [min-max]. Progress goes to
            stderr, the table to stdout. The load average and any compiler
            running meanwhile are printed: figures from a busy machine are
            noise. Build release first:
              swift build -c release --product worker
              swift build -c release --product outbox-bench
            The default run takes about 5 minutes on 2 cores, --quick about 1.

            Examples:
              .build/release/outbox-bench outside
              .build/release/outbox-bench outside --quick
              .build/release/outbox-bench outside --sections memory \\
                  --commands 100000
              .build/release/outbox-bench outside --sections history \\
                  --finished-large 1000000
              .build/release/outbox-bench outside --sections drain,census \\
                  --backlog 10000
              tools/pg-scratch-cluster.sh start   # prints a postgres:// URL
              .build/release/outbox-bench outside --sections postgres \\
                  --postgres-url 'postgres://postgres@localhost/postgres?host=/tmp/outbox-bench-pg'
            """)

    @Option(help: "Sections to run, comma-separated: drain, latency, concurrency, memory, insert, history, census, postgres.")
    var sections = "drain,latency,concurrency,memory,insert,history"

    @Flag(help: "A short run (about a minute): one repeat and small sizes; any size given explicitly still wins.")
    var quick = false

    @Option(help: "Rounds of each comparison, interleaved (default 3; --quick 1).")
    var repeats: Int?

    @Option(help: "drain: sales queued before the worker starts (default 5000; --quick 1000).")
    var backlog: Int?

    @Option(help: "Worker --concurrency for drain, latency, memory, history and census.")
    var concurrency = 16

    @Option(help: "drain: the stand-in's delay before each answer, in ms (the round trip it simulates).")
    var delayMs = 0

    @Option(help: "drain: rows for the raw SQLite and in-process store references (default 10000; --quick 3000).")
    var rawCount: Int?

    @Option(help: "drain, history: claim/complete batch of the raw SQLite and store references.")
    var batch = 64

    @Option(help: "latency: single-row inserts in the trickle (default 300; --quick 100).")
    var trickle: Int?

    @Option(help: "latency: trickle pace, inserts per second.")
    var trickleRate = 50.0

    @Option(help: "latency (first round), memory: seconds of idling measured (default 10; --quick 3).")
    var idleSeconds: Int?

    @Option(help: "latency: litequeue's consumer sleep when its queue is empty, in ms (it has no wake-up).")
    var litequeuePollMs = 1.0

    @Option(help: "concurrency: CONCURRENCY@ROUND_TRIP_MS pairs, comma-separated.")
    var concurrencyTargets = "8@50,64@50,256@250"

    @Option(help: "concurrency: seconds of drain at the ideal rate each backlog is sized for (default 2; --quick 1).")
    var concurrencySeconds: Double?

    @Option(help: "memory: sales drained before the last RSS reading (default 15000; --quick 3000; issue 11 asks 100000).")
    var commands: Int?

    @Option(help: "insert: rows per variant with synchronous NORMAL (default 3000; --quick 500).")
    var inserts: Int?

    @Option(help: "insert: rows per variant with synchronous FULL (default 1000; --quick 200).")
    var insertsFull: Int?

    @Option(help: "history: finished commands in the small database (default 10000; --quick 2000).")
    var finishedSmall: Int?

    @Option(
        help: "history: finished commands in the large database (default 100000; --quick 20000; issue 11 asks 1000000, about 45 s to prepare here).")
    var finishedLarge: Int?

    @Option(help: "history: pending sales drained on top of the finished ones (default 1500; --quick 500).")
    var finishedBacklog: Int?

    @Option(help: "postgres: an admin URL on a PostgreSQL server (a role that may create databases; password in PGPASSWORD).")
    var postgresUrl: String?

    @Flag(help: "Also run the census section: count SQLite statements per command inside the worker (LD_PRELOAD, needs cc).")
    var sqlCensus = false

    @Flag(
        help:
            "Run every worker with --metrics-address 127.0.0.1:0 and scrape its /metrics once a second while it drains (the cost of metrics; Prometheus's usual interval is 15 s).")
    var metrics = false

    @Option(help: "The worker binary (default: `worker` next to this executable).")
    var worker: String?

    @Option(help: "The worker's --log-level (its default, info, writes a line per command to a file here).")
    var workerLogLevel = "info"

    @Option(help: "Base Python used for producers and to create the virtual environment.")
    var python = "python3"

    @Option(help: "Virtual environment for the peers (created, and litequeue + huey pip-installed, on first use).")
    var venv: String?

    @Flag(help: "Do not create a virtual environment or pip install anything: the peer rows say 'not run'.")
    var noPeers = false

    @Option(help: "Scratch directory (default: a new temporary one, removed at the end).")
    var directory: String?

    @Flag(help: "Keep the scratch directory (databases are removed as they are used; logs stay).")
    var keep = false

    func validate() throws {
        let known = Set(["drain", "latency", "concurrency", "memory", "insert", "history", "census", "postgres"])
        if sectionList.contains("postgres") && postgresUrl == nil {
            throw ValidationError("the postgres section needs --postgres-url (tools/pg-scratch-cluster.sh start prints one)")
        }
        for name in sectionList where !known.contains(name) {
            throw ValidationError("unknown section \(name); known: \(known.sorted().joined(separator: ", "))")
        }
        _ = try ConcurrencySection.Target.parse(concurrencyTargets)
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1...256") }
        guard (repeats ?? 1) >= 1, trickleRate > 0, batch > 0 else {
            throw ValidationError("--repeats, --trickle-rate and --batch must be positive")
        }
    }

    var sectionList: [String] {
        var list = sections.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if sqlCensus && !list.contains("census") { list.append("census") }
        return list
    }

    func pick<T>(_ value: T?, _ normal: T, _ short: T) -> T { value ?? (quick ? short : normal) }

    func run() async throws {
        let scratch = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("outbox-bench-outside-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let workerBinary = worker ?? siblingExecutable("worker")
        guard FileManager.default.isExecutableFile(atPath: workerBinary) else {
            throw ValidationError("no worker binary at \(workerBinary): build it (swift build -c release --product worker) or pass --worker")
        }
        let log: (String) -> Void = { FileHandle.standardError.write(Data("[outside] \($0)\n".utf8)) }
        let started = ContinuousClock.now
        let environment = try await PythonEnvironment.prepare(
            venv: noPeers ? nil : (venv ?? defaultVenv()), basePython: python, installPeers: !noPeers,
            directory: scratch, log: log)
        var census: SQLCensus?
        if sectionList.contains("census") {
            switch await SQLCensus.build(in: scratch) {
            case .success(let built): census = built
            case .failure(let error): log("\(error)")
            }
        }
        let standIn = try await StandIn.start(delayMillis: delayMs)
        var rig = OutsideRig(
            directory: scratch, standIn: standIn, python: environment, workerBinary: workerBinary,
            workerLogLevel: workerLogLevel, census: census)
        rig.metrics = metrics
        let repeats = pick(self.repeats, 3, 1)
        let idle = pick(idleSeconds, 10, 3)

        var report = Report()
        let builders = ProcFS.busyBuilders()
        report.header = [
            "outbox-bench outside — \(ISO8601DateFormatter().string(from: Date())), \(ProcessInfo.processInfo.activeProcessorCount) cores, load average at start \(String(format: "%.2f", ProcFS.loadAverage()))",
            "worker: \(workerBinary)\(workerBinary.contains("/debug/") ? "  (DEBUG BUILD: figures are not representative)" : ""); stand-in: \(standIn.baseURL), 1 NIO thread",
            "python \(environment.pythonVersion) with SQLite \(environment.sqliteVersion); litequeue \(environment.litequeue ?? "not installed"); huey \(environment.huey ?? "not installed")",
            "repeats \(repeats) (interleaved, medians [min–max]); worker log level \(workerLogLevel)"
                + (metrics ? "; metrics ON (--metrics-address, /metrics scraped every 1 s)" : "; metrics off"),
        ]
        if !builders.isEmpty {
            report.header.append("WARNING: compilers running at start (\(builders.joined(separator: ", "))): figures are noise")
        }
        for note in environment.notes { report.header.append("note: \(note)") }

        var loads: [String] = []
        for name in sectionList {
            let before = ProcFS.busyBuilders()
            let sectionStart = ContinuousClock.now
            switch name {
            case "drain":
                await DrainSection(
                    rig: rig, backlog: pick(backlog, 5_000, 1_000), concurrency: concurrency, delayMillis: delayMs,
                    rawCount: pick(rawCount, 10_000, 3_000), batch: batch, repeats: repeats
                ).run(into: &report)
            case "latency":
                await LatencySection(
                    rig: rig, count: pick(trickle, 300, 100), rate: trickleRate, concurrency: concurrency,
                    idleSeconds: idle, pollMillis: litequeuePollMs, repeats: repeats
                ).run(into: &report)
            case "concurrency":
                let targets = try ConcurrencySection.Target.parse(concurrencyTargets)
                await ConcurrencySection(
                    rig: rig, targets: targets,
                    seconds: pick(concurrencySeconds, 2, 1), repeats: repeats
                ).run(into: &report)
            case "memory":
                await MemorySection(
                    rig: rig, commands: pick(commands, 15_000, 3_000), concurrency: concurrency, idleSeconds: idle
                ).run(into: &report)
            case "insert":
                await InsertSection(
                    rig: rig, count: pick(inserts, 3_000, 500), countFull: pick(insertsFull, 1_000, 200), repeats: repeats
                ).run(into: &report)
            case "history":
                await FinishedRowsSection(
                    rig: rig, small: pick(finishedSmall, 10_000, 2_000), large: pick(finishedLarge, 100_000, 20_000),
                    backlog: pick(finishedBacklog, 1_500, 500), concurrency: concurrency, batch: batch, repeats: repeats
                ).run(into: &report)
            case "postgres":
                await PostgresSection(
                    rig: rig, adminURL: postgresUrl ?? "", backlog: pick(backlog, 5_000, 1_000), concurrency: concurrency,
                    trickle: pick(trickle, 300, 100), finishedLarge: pick(finishedLarge, 100_000, 20_000), repeats: repeats
                ).run(into: &report)
            case "census":
                await CensusSection(rig: rig, backlog: pick(backlog, 5_000, 1_000), concurrency: concurrency).run(into: &report)
            default:
                break
            }
            let after = ProcFS.busyBuilders()
            let busy = Set(before + after)
            loads.append(
                "\(name) \(String(format: "%.0f s, load %.2f", (ContinuousClock.now - sectionStart).seconds, ProcFS.loadAverage()))"
                    + (busy.isEmpty ? "" : " (compilers running: \(busy.sorted().joined(separator: ", ")) — noise)"))
            if !busy.isEmpty, var last = report.sections.popLast() {
                last.note("WARNING: a compiler was running during this section (\(busy.sorted().joined(separator: ", "))): figures are noise")
                report.sections.append(last)
            }
        }
        report.header.append(
            "took \(String(format: "%.0f s", (ContinuousClock.now - started).seconds)): " + loads.joined(separator: "; "))
        await standIn.shutdown()
        print(report.render())
        if keep || directory != nil {
            FileHandle.standardError.write(Data("[outside] scratch directory kept: \(scratch)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: scratch)
        }
    }

    /// `name` in the directory of this executable.
    func siblingExecutable(_ name: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let path = me.deletingLastPathComponent().appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: real).deletingLastPathComponent().appendingPathComponent(name).path
        }
        return path
    }

    func defaultVenv() -> String {
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (cache as NSString).appendingPathComponent("outbox-bench/venv")
    }
}
