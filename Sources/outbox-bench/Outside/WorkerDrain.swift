import Foundation

/// One drain of a pre-filled backlog by the worker binary, observed from outside.
struct WorkerDrain {
    var commands: Int
    /// From the first request at the stand-in to the last outcome in the inbox.
    var seconds: Double
    /// From starting the worker process to the last outcome.
    var secondsFromStart: Double
    /// Worker CPU (user + system) over the drain window.
    var workerCPU: Double
    /// The stand-in's event-loop thread CPU over the same window.
    var standInCPU: Double
    var maxInFlight: Int
    /// Resident set size at the first request, after 1,000 requests and at the end.
    var rssAtFirst: Int?
    var rssAfter1k: Int?
    var rssAtEnd: Int?
    /// Voluntary context switches of the worker's threads over the window.
    var contextSwitches: Int?
    var outcomes: [String: Int]
    var threads: [(name: String, cpu: Double)]
    var census: SQLCensus.Reading?
    var exitStatus: Int32?
    /// With `--metrics`: the /metrics scrapes that answered 200 during the drain.
    var scrapes: Int? = nil

    var rate: Double { Double(commands) / seconds }
    var cpuPerCommandMillis: Double { 1_000 * workerCPU / Double(commands) }
    var standInPerCommandMillis: Double { 1_000 * standInCPU / Double(commands) }
    var succeeded: Int { outcomes["succeeded"] ?? 0 }

    /// Starts the worker on `path` (already holding `commands` due sales), waits until every one
    /// has an outcome, then stops it with SIGTERM.
    static func run(
        rig: OutsideRig, path: String, commands: Int, concurrency: Int, delayMillis: Int, census: Bool = false,
        strace: String? = nil
    ) async throws -> WorkerDrain {
        rig.standIn.setDelay(millis: delayMillis)
        rig.standIn.recorder.reset()
        if census { rig.census?.reset() }
        let baseline = try rig.outcomeCount(path)
        let standInBefore = try await rig.standIn.cpuSeconds()
        let started = ContinuousClock.now
        let worker = try await rig.startWorker(path, concurrency: concurrency, census: census, strace: strace)
        let scraper = rig.metrics ? MetricsScraper.start(worker: worker) : nil
        var cpuAtFirst: Double?
        var switchesAtFirst: Int?
        var censusAtFirst: SQLCensus.Reading?
        var rssAtFirst: Int?
        var rssAfter1k: Int?
        let end: ContinuousClock.Instant
        do {
            end = try await rig.waitForOutcomes(path, count: commands, baseline: baseline, worker: worker) { seen in
                if seen > 0 && cpuAtFirst == nil {
                    cpuAtFirst = ProcFS.cpuSeconds(pid: worker.pid)
                    switchesAtFirst = ProcFS.contextSwitches(pid: worker.pid)
                    rssAtFirst = ProcFS.residentBytes(pid: worker.pid)
                    if census { censusAtFirst = rig.census?.read() }
                }
                if seen >= 1_000 && rssAfter1k == nil { rssAfter1k = ProcFS.residentBytes(pid: worker.pid) }
            }
        } catch {
            scraper?.cancel()
            await worker.stop()
            throw error
        }
        scraper?.cancel()
        let scrapes = await scraper?.value
        let cpuAtEnd = ProcFS.cpuSeconds(pid: worker.pid) ?? 0
        let switchesAtEnd = ProcFS.contextSwitches(pid: worker.pid)
        let rssAtEnd = ProcFS.residentBytes(pid: worker.pid)
        let threads = ProcFS.threads(pid: worker.pid)
        let censusAtEnd = census ? rig.census?.read() : nil
        let standInAfter = try await rig.standIn.cpuSeconds()
        let snapshot = rig.standIn.recorder.snapshot
        let status = await worker.stop()
        // The worker's own count of claims and group-commit transactions (its stop line).
        if let line = worker.standardError.split(separator: "\n").last(where: { $0.contains("outbox.claims") }) {
            rig.log("worker stop line: \(line.suffix(240))")
        }
        let first = snapshot.firstAt ?? started
        var drain = WorkerDrain(
            commands: commands, seconds: (end - first).seconds, secondsFromStart: (end - started).seconds,
            workerCPU: cpuAtEnd - (cpuAtFirst ?? 0), standInCPU: standInAfter - standInBefore,
            maxInFlight: snapshot.maxInFlight, rssAtFirst: rssAtFirst, rssAfter1k: rssAfter1k, rssAtEnd: rssAtEnd,
            contextSwitches: switchesAtEnd.flatMap { end in switchesAtFirst.map { end - $0 } },
            outcomes: try rig.outcomes(path).merging(["succeeded": -baseline]) { $0 + $1 }, threads: threads,
            census: nil, exitStatus: status)
        if let censusAtEnd, let censusAtFirst { drain.census = censusAtEnd - censusAtFirst }
        drain.scrapes = scrapes
        return drain
    }

    /// A one-line summary for the progress log.
    var summary: String {
        let counts = outcomes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
        return String(
            format: "%d commands in %.2f s: %.0f /s, worker CPU %.2f ms/command, stand-in %.2f ms/command, max in flight %d",
            commands, seconds, rate, cpuPerCommandMillis, standInPerCommandMillis, maxInFlight)
            + ", outcomes \(counts), exit \(exitStatus.map { "\($0)" } ?? "killed")"
            + (scrapes.map { ", /metrics scraped \($0) times" } ?? "")
    }
}

/// Thread CPU grouped by thread name, largest first, as "name share%".
func threadBreakdown(_ threads: [(name: String, cpu: Double)]) -> String {
    var byName: [String: Double] = [:]
    for thread in threads {
        // Numbered pools (NIO-ELT-0-#1) are grouped by their prefix.
        let name = thread.name.split(separator: "#").first.map(String.init) ?? thread.name
        byName[name, default: 0] += thread.cpu
    }
    let total = byName.values.reduce(0, +)
    guard total > 0 else { return "–" }
    return byName.sorted { $0.value > $1.value }.prefix(6).map {
        "\($0.key) " + String(format: "%.0f%%", 100 * $0.value / total)
    }.joined(separator: ", ")
}
