import Foundation

/// `--sql-census`: one more drain with the census library preloaded into the worker, reported per
/// command: transactions, statements by kind, preparations, and CPU spent inside SQLite.
struct CensusSection {
    let rig: OutsideRig
    let backlog: Int
    let concurrency: Int

    func run(into report: inout Report) async {
        var section = Report.Section(title: "SQLite census: what the worker asks of SQLite per command (backlog \(backlog), LD_PRELOAD counters)")
        guard rig.census != nil else {
            section.note("not run: no census library (see the log)")
            report.sections.append(section)
            return
        }
        do {
            let path = try rig.newDatabase("census")
            defer { rig.remove(path) }
            try await rig.fill(path, count: backlog)
            let drain = try await WorkerDrain.run(
                rig: rig, path: path, commands: backlog, concurrency: concurrency, delayMillis: 0, census: true)
            rig.log("census drain: \(drain.summary)")
            guard let reading = drain.census else { throw OutsideError("the census file could not be read") }
            let n = Double(backlog)
            func per(_ value: UInt64) -> String { String(format: "%.2f", Double(value) / n) }
            let classes = SQLCensus.classes
            let runs = Dictionary(uniqueKeysWithValues: zip(classes, reading.runs))
            let nanos = Dictionary(uniqueKeysWithValues: zip(classes, reading.nanos))
            let statements = reading.runs.reduce(0, +)
            let stepNanos = reading.nanos.reduce(0, +)
            section.add("drain under the census", Fmt.rate(drain.rate), reference: "CPU " + Fmt.ms(drain.cpuPerCommandMillis, digits: 3) + "/command")
            section.add(
                "write transactions (BEGIN IMMEDIATE) per command", per(runs["BEGIN IMMEDIATE"] ?? 0),
                reference: "COMMIT " + per(runs["COMMIT"] ?? 0) + ", ROLLBACK " + per(runs["ROLLBACK"] ?? 0))
            section.add("read transactions (BEGIN DEFERRED) per command", per(runs["BEGIN DEFERRED"] ?? 0))
            section.add("statements executed per command", per(statements), reference: "savepoints " + per(runs["SAVEPOINT"] ?? 0))
            for name in ["SELECT", "INSERT", "UPDATE", "DELETE", "PRAGMA", "WITH", "RELEASE", "other"] where (runs[name] ?? 0) > 0 {
                section.add(
                    "  \(name)", per(runs[name] ?? 0),
                    reference: "in step " + Fmt.ms(Double(nanos[name] ?? 0) / 1e6 / n, digits: 4) + "/command")
            }
            section.add(
                "statement preparations per command", per(reading.prepares),
                reference: "CPU " + Fmt.ms(Double(reading.prepareNanos) / 1e6 / n, digits: 4) + "/command")
            section.add(
                "CPU inside sqlite3_step per command", Fmt.ms(Double(stepNanos) / 1e6 / n, digits: 3),
                reference: "of worker CPU", ratio: Fmt.percent(100 * Double(stepNanos + reading.prepareNanos) / 1e9 / drain.workerCPU, digits: 0) + " (with prepare)")
            section.add(
                "  of which COMMIT (WAL write)", Fmt.ms(Double(nanos["COMMIT"] ?? 0) / 1e6 / n, digits: 3),
                reference: "BEGIN " + Fmt.ms(Double((nanos["BEGIN IMMEDIATE"] ?? 0) + (nanos["BEGIN DEFERRED"] ?? 0)) / 1e6 / n, digits: 4))
            if reading.execs > 0 { section.add("sqlite3_exec calls per command", per(reading.execs)) }
            Self.statementTable(reading, per: n, rows: 14, into: &section)
            section.note("counts include the worker's housekeeping (heartbeat, holds, checkpoint) during the window; thread CPU time, commit's fsync/write included")
            try await trickle(into: &section)
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") {
                try await syscalls(into: &section)
            } else {
                section.note("strace not installed: no system-call counts")
            }
        } catch {
            section.note("failed: \(error)")
            rig.log("census failed: \(error)")
        }
        report.sections.append(section)
    }

    /// The statements that cost the most SQLite CPU (step + prepare), per command.
    static func statementTable(_ reading: SQLCensus.Reading, per n: Double, rows: Int, into section: inout Report.Section) {
        func per(_ count: UInt64) -> String { String(format: "%.2f", Double(count) / n) }
        section.add("statements by CPU (runs / prepares per command)", "", reference: "CPU per command (step + prepare)")
        let top = reading.statements.values.filter { $0.runs > 0 || $0.prepares > 0 }
            .sorted { $0.nanos + $0.prepareNanos > $1.nanos + $1.prepareNanos }.prefix(rows)
        for statement in top {
            let text = statement.text.count > 58 ? String(statement.text.prefix(57)) + "…" : statement.text
            section.add(
                "  " + text, per(statement.runs) + " / " + per(statement.prepares),
                reference: String(
                    format: "%.1f µs (%.1f + %.1f)", Double(statement.nanos + statement.prepareNanos) / 1e3 / n,
                    Double(statement.nanos) / 1e3 / n, Double(statement.prepareNanos) / 1e3 / n))
        }
    }

    /// The same counters while a producer trickles 200 single inserts at 50/s into an idle
    /// worker: what one command costs when nothing can be batched or coalesced.
    func trickle(into section: inout Report.Section) async throws {
        let count = 200
        let path = try rig.newDatabase("census-trickle")
        defer { rig.remove(path) }
        rig.standIn.setDelay(millis: 0)
        rig.census?.reset()
        let worker = try await rig.startWorker(path, concurrency: concurrency, census: true)
        do {
            try await Task.sleep(for: .milliseconds(1_500))
            guard let before = rig.census?.read(), let cpuBefore = ProcFS.cpuSeconds(pid: worker.pid) else {
                throw OutsideError("no census reading")
            }
            let switchesBefore = ProcFS.contextSwitches(pid: worker.pid) ?? 0
            _ = try await rig.python.run(["trickle", path, "\(count)", "50", "\(rig.deadlineMillis)"])
            try await Task.sleep(for: .milliseconds(300))
            guard let after = rig.census?.read(), let cpuAfter = ProcFS.cpuSeconds(pid: worker.pid) else {
                throw OutsideError("no census reading")
            }
            let switches = (ProcFS.contextSwitches(pid: worker.pid) ?? 0) - switchesBefore
            await worker.stop()
            let reading = after - before
            let n = Double(count)
            let runs = Dictionary(uniqueKeysWithValues: zip(SQLCensus.classes, reading.runs))
            let claims = reading.statements.values.filter { $0.text.hasPrefix("UPDATE outbox SET state = 'in_flight'") }
                .map(\.runs).reduce(0, +)
            section.add(
                "trickle (\(count) at 50/s): worker CPU per command", Fmt.ms(1_000 * (cpuAfter - cpuBefore) / n, digits: 2),
                reference: String(format: "%.1f voluntary context switches", Double(switches) / n))
            section.add(
                "  write transactions / claims per command", String(format: "%.2f / %.2f", Double(runs["BEGIN IMMEDIATE"] ?? 0) / n, Double(claims) / n),
                reference: String(format: "read transactions %.2f", Double(runs["BEGIN DEFERRED"] ?? 0) / n))
            section.add(
                "  statements / preparations per command", String(format: "%.1f / %.1f", Double(reading.runs.reduce(0, +)) / n, Double(reading.prepares) / n),
                reference: "SQLite CPU " + Fmt.ms(Double(reading.nanos.reduce(0, +) + reading.prepareNanos) / 1e6 / n, digits: 3))
            Self.statementTable(reading, per: n, rows: 16, into: &section)
        } catch {
            await worker.stop()
            throw error
        }
    }

    /// One more drain under `strace -f -c`: system calls per command (the whole worker life,
    /// start-up and the idle moment before SIGTERM included; ptrace slows the drain, not the counts).
    func syscalls(into section: inout Report.Section) async throws {
        let commands = min(backlog, 2_000)
        let path = try rig.newDatabase("strace")
        defer { rig.remove(path) }
        try await rig.fill(path, count: commands)
        let output = "\(rig.directory)/strace-\(UUID().uuidString.prefix(8)).txt"
        let drain = try await WorkerDrain.run(
            rig: rig, path: path, commands: commands, concurrency: concurrency, delayMillis: 0, strace: output)
        rig.log("strace drain: \(drain.summary)")
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        var rows: [(name: String, calls: Int, errors: Int)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 5, let name = fields.last, name != "total", Double(fields[0]) != nil else { continue }
            // % time, seconds, usecs/call, calls, [errors,] syscall
            let calls = Int(fields[3]) ?? 0
            let errors = fields.count >= 6 ? Int(fields[4]) ?? 0 : 0
            rows.append((String(name), calls, errors))
        }
        guard !rows.isEmpty else {
            section.note("strace gave no counts: \(text.prefix(200))")
            return
        }
        let n = Double(commands)
        section.add("system calls per command (strace -c -f, \(commands) commands)", String(format: "%.1f", Double(rows.map(\.calls).reduce(0, +)) / n))
        for row in rows.sorted(by: { $0.calls > $1.calls }).prefix(10) {
            section.add(
                "  \(row.name)", String(format: "%.1f", Double(row.calls) / n),
                reference: Double(row.errors) / n >= 0.05 ? String(format: "%.1f of them failed (EAGAIN…)", Double(row.errors) / n) : "")
        }
    }
}
