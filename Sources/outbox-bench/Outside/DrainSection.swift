import Foundation

/// Drain rate of a pre-filled backlog: the worker binary against the stand-in, beside the
/// litequeue peer on the same stand-in and the raw SQLite reference, repeats interleaved.
struct DrainSection {
    let rig: OutsideRig
    let backlog: Int
    let concurrency: Int
    let delayMillis: Int
    let rawCount: Int
    let batch: Int
    let repeats: Int

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "Drain: a backlog of \(backlog) sales queued before the worker starts; concurrency \(concurrency), stand-in delay \(delayMillis) ms")
        var drains: [WorkerDrain] = []
        var peer: [(rate: Double, cpu: Double, standIn: Double)] = []
        var peerSmall: [Double] = []
        let small = min(1_000, backlog)
        var raw: [RawSQLiteReference.Result] = []
        var store: [RawSQLiteReference.Result] = []
        var httpAlone: [HTTPAloneReference.Result] = []
        var failures: [String] = []
        let peerAvailable = rig.python.litequeue != nil
        for repeatIndex in 0..<repeats {
            // Rotate the order so no contender always runs first (or right after another's I/O).
            var order = ["worker", "litequeue", "raw", "store", "litequeue-small", "http"]
            order = Array(order[(repeatIndex % order.count)...] + order[..<(repeatIndex % order.count)])
            for contender in order {
                do {
                    switch contender {
                    case "worker":
                        let path = try rig.newDatabase("drain")
                        defer { rig.remove(path) }
                        try await rig.fill(path, count: backlog)
                        let drain = try await WorkerDrain.run(
                            rig: rig, path: path, commands: backlog, concurrency: concurrency, delayMillis: delayMillis)
                        rig.log("drain \(repeatIndex + 1)/\(repeats) worker: \(drain.summary)")
                        drains.append(drain)
                    case "litequeue" where peerAvailable:
                        rig.standIn.setDelay(millis: delayMillis)
                        rig.standIn.recorder.reset()
                        let path = "\(rig.directory)/litequeue-\(UUID().uuidString.prefix(8)).sqlite"
                        defer { rig.remove(path) }
                        let before = try await rig.standIn.cpuSeconds()
                        let out = try await rig.python.run(["lq-drain", path, "\(backlog)", "\(rig.standIn.port)"])
                        let standIn = try await rig.standIn.cpuSeconds() - before
                        let rate = out["rate"] as? Double ?? 0
                        let cpu = out["cpu_seconds"] as? Double ?? 0
                        peer.append((rate, 1_000 * cpu / Double(backlog), 1_000 * standIn / Double(backlog)))
                        rig.log(String(format: "drain %d/%d litequeue: %.0f /s, %.2f ms CPU/command", repeatIndex + 1, repeats, rate, 1_000 * cpu / Double(backlog)))
                    case "litequeue-small" where peerAvailable && small < backlog:
                        // litequeue's pop sorts the ready rows (temp B-tree): its rate falls as its
                        // queue grows, so its best case (a short queue) is shown too.
                        rig.standIn.recorder.reset()
                        let path = "\(rig.directory)/litequeue-\(UUID().uuidString.prefix(8)).sqlite"
                        defer { rig.remove(path) }
                        let out = try await rig.python.run(["lq-drain", path, "\(small)", "\(rig.standIn.port)"])
                        peerSmall.append(out["rate"] as? Double ?? 0)
                    case "raw":
                        let result = try RawSQLiteReference.sameShape(directory: rig.directory, count: rawCount, batch: batch)
                        raw.append(result)
                        rig.log(String(format: "drain %d/%d raw SQLite ×%d: %.0f /s", repeatIndex + 1, repeats, batch, result.rate))
                    case "store":
                        let result = try RawSQLiteReference.ourStore(directory: rig.directory, count: rawCount, batch: batch)
                        store.append(result)
                        rig.log(String(format: "drain %d/%d our store ×%d: %.0f /s", repeatIndex + 1, repeats, batch, result.rate))
                    case "http":
                        rig.standIn.setDelay(millis: delayMillis)
                        rig.standIn.recorder.reset()
                        let result = try await HTTPAloneReference.run(
                            standIn: rig.standIn, count: backlog, concurrency: concurrency)
                        httpAlone.append(result)
                        rig.log(String(format: "drain %d/%d HTTP alone: %.0f /s, %.3f ms CPU/request", repeatIndex + 1, repeats, result.rate, result.cpuPerCommandMillis))
                    default:
                        break
                    }
                } catch {
                    failures.append("\(contender): \(error)")
                    rig.log("drain \(contender) failed: \(error)")
                }
            }
        }

        let ours = median(drains.map(\.rate))
        section.add("worker drain (first request → last outcome)", Fmt.spread(drains.map(\.rate)) { Fmt.rate($0) })
        if peerAvailable {
            let peerRate = median(peer.map(\.rate))
            section.add(
                "  vs litequeue + http.client, 1 keep-alive connection", Fmt.rate(ours),
                reference: Fmt.spread(peer.map(\.rate)) { Fmt.rate($0) }, ratio: Fmt.ratio(ours, peerRate))
            if !peerSmall.isEmpty {
                section.add(
                    "    litequeue with a \(small)-message queue (its best case)", Fmt.rate(ours),
                    reference: Fmt.spread(peerSmall) { Fmt.rate($0) }, ratio: Fmt.ratio(ours, median(peerSmall)))
            }
        } else {
            section.add("  vs litequeue", "not run", reference: rig.python.notes.joined(separator: "; "))
        }
        let rawRate = median(raw.map(\.rate))
        section.add(
            "  vs raw SQLite claim+complete ×\(batch) (GRDB)", Fmt.rate(ours),
            reference: Fmt.spread(raw.map(\.rate)) { Fmt.rate($0) }, ratio: Fmt.ratio(ours, rawRate))
        section.add(
            "  vs our store claim+recordEach ×\(batch), in process", Fmt.rate(ours),
            reference: Fmt.spread(store.map(\.rate)) { Fmt.rate($0) }, ratio: Fmt.ratio(ours, median(store.map(\.rate))))
        section.add(
            "  vs HTTP alone: the worker's transport, no database (the floor)", Fmt.rate(ours),
            reference: Fmt.spread(httpAlone.map(\.rate)) { Fmt.rate($0) },
            ratio: Fmt.ratio(ours, median(httpAlone.map(\.rate))))
        let cpu = median(drains.map(\.cpuPerCommandMillis))
        section.add(
            "worker CPU per command", Fmt.spread(drains.map(\.cpuPerCommandMillis)) { Fmt.ms($0, digits: 3) },
            reference: peerAvailable ? "litequeue " + Fmt.ms(median(peer.map(\.cpu)), digits: 3) : "",
            ratio: peerAvailable ? Fmt.ratio(cpu, median(peer.map(\.cpu))) : "")
        section.add(
            "  raw SQLite / our store CPU per command", Fmt.ms(median(raw.map(\.cpuPerCommandMillis)), digits: 3),
            reference: "store " + Fmt.ms(median(store.map(\.cpuPerCommandMillis)), digits: 3),
            ratio: "worker/raw " + Fmt.ratio(cpu, median(raw.map(\.cpuPerCommandMillis))))
        section.add(
            "  HTTP alone CPU per request", Fmt.ms(median(httpAlone.map(\.cpuPerCommandMillis)), digits: 3),
            reference: "the floor under the worker's CPU per command",
            ratio: "worker/HTTP " + Fmt.ratio(cpu, median(httpAlone.map(\.cpuPerCommandMillis))))
        section.add(
            "worker CPU use while draining", Fmt.percent(median(drains.map { 100 * $0.workerCPU / $0.seconds }), digits: 0),
            reference: "of one core (2 here)")
        section.add(
            "stand-in CPU per request (worker drain)", Fmt.ms(median(drains.map(\.standInPerCommandMillis)), digits: 3),
            reference: "litequeue drain " + Fmt.ms(median(peer.map(\.standIn)), digits: 3))
        section.add(
            "  stand-in thread busy while the worker drains",
            Fmt.percent(median(drains.map { 100 * $0.standInCPU / $0.secondsFromStart }), digits: 0),
            reference: "of one core: not the limit below ~90 %")
        section.add("max concurrent requests at the stand-in", "\(drains.map(\.maxInFlight).max() ?? 0)", reference: "--concurrency \(concurrency)")
        section.add(
            "voluntary context switches per command",
            Fmt.number(median(drains.compactMap { drain in drain.contextSwitches.map { Double($0) / Double(backlog) } }), digits: 1),
            reference: "worker threads (sleeps/wake-ups)")
        section.add(
            "worker RSS at first request / 1k / end",
            [drains.last?.rssAtFirst, drains.last?.rssAfter1k, drains.last?.rssAtEnd].map { Fmt.mb($0.map(Double.init)) }
                .joined(separator: " / "))
        if let last = drains.last {
            section.note("worker CPU by thread (whole life of the last run): \(threadBreakdown(last.threads))")
            let bad = drains.filter { $0.succeeded != $0.commands }
            if !bad.isEmpty { section.note("not every outcome succeeded: \(bad.map { $0.outcomes.description })") }
            let statuses = Set(drains.map { $0.exitStatus.map { "\($0)" } ?? "killed" })
            section.note("worker exit status after SIGTERM once idle: \(statuses.sorted().joined(separator: ", "))")
        }
        section.note("raw SQLite: same-shape table (outbox columns + claim index, no triggers), claim = UPDATE…RETURNING ×\(batch) in one transaction, complete = UPDATE + inbox INSERT per row in one transaction; \(rawCount) rows")
        section.note("litequeue: its defaults (WAL, synchronous NORMAL); pop = UPDATE…RETURNING of the oldest ready row, which SQLite finds by sorting every ready row, so its rate falls as its queue grows")
        section.note("HTTP alone: HTTPClientTransport (the worker's AsyncHTTPClient set-up, \(concurrency) connections) POSTing \(backlog) sale bodies to the same stand-in, \(concurrency) at a time, from this process; CPU = this process minus the stand-in's thread")
        section.note("our store: OutboxStore.claim + recordEach ×\(batch) on the real schema (attempt + inbox rows, no mark-before-send), \(rawCount) rows")
        for failure in failures { section.note("failed: \(failure)") }
        report.sections.append(section)
    }
}
