import Foundation

/// Insert → request latency for a trickle of single inserts from another process, the worker
/// beside litequeue's put → request on the same stand-in; then the idle CPU of the worker beside
/// huey's idle consumer, measured over the same seconds.
struct LatencySection {
    let rig: OutsideRig
    let count: Int
    let rate: Double
    let concurrency: Int
    let idleSeconds: Int
    let pollMillis: Double
    let repeats: Int

    struct Trickle {
        var latencies: [Double]
        var missing: Int
        var cpuPerCommandMillis: Double?
        var p50: Double? { percentile(latencies, 0.5) }
        var p99: Double? { percentile(latencies, 0.99) }
    }

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "Pickup: \(count) single-row INSERTs at \(Int(rate))/s from another process; then idle CPU over \(idleSeconds) s (first round)")
        var ours: [Trickle] = []
        var peers: [Trickle] = []
        var peerPollCPU: [Double] = []
        var idle: [Double] = []
        var hueyIdle: [Double] = []
        var statuses: [String] = []
        var failures: [String] = []
        for repeatIndex in 0..<repeats {
            let order = repeatIndex % 2 == 0 ? ["worker", "litequeue"] : ["litequeue", "worker"]
            for contender in order {
                do {
                    if contender == "worker" {
                        // Idle CPU once (the first round): it is timer-driven and steady, and
                        // ten quiet seconds per round would dominate the run.
                        let (trickle, idleShare, hueyShare, status) = try await worker(measureIdle: repeatIndex == 0)
                        ours.append(trickle)
                        if let idleShare { idle.append(idleShare) }
                        if let hueyShare { hueyIdle.append(hueyShare) }
                        statuses.append(status)
                        rig.log(
                            "pickup \(repeatIndex + 1)/\(repeats) worker: p50 \(Fmt.ms(trickle.p50)) p99 \(Fmt.ms(trickle.p99)), idle \(Fmt.percent(idleShare, digits: 3)), huey idle \(Fmt.percent(hueyShare, digits: 3))")
                    } else if rig.python.litequeue != nil {
                        let (trickle, pollShare) = try await litequeue()
                        peers.append(trickle)
                        peerPollCPU.append(pollShare)
                        rig.log("pickup \(repeatIndex + 1)/\(repeats) litequeue: p50 \(Fmt.ms(trickle.p50)) p99 \(Fmt.ms(trickle.p99))")
                    }
                } catch {
                    failures.append("\(contender): \(error)")
                    rig.log("pickup \(contender) failed: \(error)")
                }
            }
        }
        let p50 = median(ours.compactMap(\.p50))
        let p99 = median(ours.compactMap(\.p99))
        let peerP50 = median(peers.compactMap(\.p50))
        let peerP99 = median(peers.compactMap(\.p99))
        section.add(
            "insert → request p50 (worker, concurrency \(concurrency))", Fmt.spread(ours.compactMap(\.p50)) { Fmt.ms($0) },
            reference: rig.python.litequeue != nil ? "litequeue put→request " + Fmt.ms(peerP50) : "litequeue not run",
            ratio: Fmt.ratio(p50, peerP50))
        section.add(
            "insert → request p99", Fmt.spread(ours.compactMap(\.p99)) { Fmt.ms($0) },
            reference: rig.python.litequeue != nil ? "litequeue " + Fmt.ms(peerP99) : "", ratio: Fmt.ratio(p99, peerP99))
        section.add(
            "insert → request max", Fmt.ms(ours.compactMap { $0.latencies.max() }.max()),
            reference: "litequeue " + Fmt.ms(peers.compactMap { $0.latencies.max() }.max()))
        section.add(
            "worker CPU per trickled command", Fmt.ms(median(ours.compactMap(\.cpuPerCommandMillis)), digits: 3),
            reference: "(no batching possible at \(Int(rate))/s)")
        if !peerPollCPU.isEmpty {
            section.add(
                "litequeue consumer CPU while trickling", Fmt.percent(median(peerPollCPU)),
                reference: "of one core (polls every \(pollMillis) ms)")
        }
        let idleMedian = median(idle)
        section.add(
            "idle worker CPU (no command for \(idleSeconds) s)", Fmt.spread(idle) { Fmt.percent($0, digits: 3) },
            reference: rig.python.huey != nil ? "huey idle consumer " + Fmt.percent(median(hueyIdle), digits: 3) : "huey not run",
            ratio: Fmt.ratio(idleMedian, median(hueyIdle)))
        let missing = ours.map(\.missing).reduce(0, +) + peers.map(\.missing).reduce(0, +)
        if missing > 0 { section.note("\(missing) trickled commands never reached the stand-in") }
        section.note("latency = stand-in receive time (request head) − producer's commit time, both CLOCK_REALTIME µs")
        section.note("litequeue has no wake-up: its consumer polls (sleeping \(pollMillis) ms when empty), the cost shown above")
        section.note("huey: SqliteHuey consumer with its defaults, started 2 s before the window (its poll interval backs off from 0.1 s to 10 s)")
        section.note("worker exit status after SIGTERM: \(Set(statuses).sorted().joined(separator: ", "))")
        for failure in failures { section.note("failed: \(failure)") }
        report.sections.append(section)
    }

    /// One trickle into a running idle worker, then its idle CPU (huey's consumer beside it).
    func worker(measureIdle: Bool) async throws -> (Trickle, Double?, Double?, String) {
        let path = try rig.newDatabase("pickup")
        defer { rig.remove(path) }
        rig.standIn.setDelay(millis: 0)
        let worker = try await rig.startWorker(path, concurrency: concurrency)
        var status = "?"
        do {
            try await Task.sleep(for: .milliseconds(1_500))  // start-up done, idle
            guard worker.isRunning else { throw OutsideError("the worker exited: \(worker.stderrTail())") }
            rig.standIn.recorder.reset()
            let cpuBefore = ProcFS.cpuSeconds(pid: worker.pid)
            let out = try await rig.python.run(["trickle", path, "\(count)", "\(rate)", "\(rig.deadlineMillis)"])
            let sent = sentTimes(out)
            let trickle = try await collect(sent)
            let cpuAfter = ProcFS.cpuSeconds(pid: worker.pid)
            var result = trickle
            if let cpuBefore, let cpuAfter { result.cpuPerCommandMillis = 1_000 * (cpuAfter - cpuBefore) / Double(count) }

            guard measureIdle else {
                status = await worker.stop().map { "\($0)" } ?? "killed"
                return (result, nil, nil, status)
            }
            // Idle: huey's consumer starts now, both are measured over the same window.
            let hueyPath = "\(rig.directory)/huey-\(UUID().uuidString.prefix(8)).sqlite"
            defer { rig.remove(hueyPath) }
            var huey: ChildProcess?
            if rig.python.huey != nil { huey = try rig.python.start(["huey-consumer", hueyPath]) }
            try await Task.sleep(for: .seconds(2))
            let idleBefore = ProcFS.onCPUNanos(pid: worker.pid)
            let hueyBefore = huey.flatMap { ProcFS.onCPUNanos(pid: $0.pid) }
            let start = ContinuousClock.now
            try await Task.sleep(for: .seconds(idleSeconds))
            let window = (ContinuousClock.now - start).seconds
            let idleAfter = ProcFS.onCPUNanos(pid: worker.pid)
            let hueyAfter = huey.flatMap { ProcFS.onCPUNanos(pid: $0.pid) }
            var hueyShare: Double?
            if let huey {
                if huey.isRunning, let hueyBefore, let hueyAfter {
                    hueyShare = 100 * Double(ProcFS.onCPUDelta(hueyBefore, hueyAfter)) / 1e9 / window
                }
                huey.signal(SIGINT)
                await huey.wait(timeout: .seconds(5))
            }
            var idleShare: Double?
            if let idleBefore, let idleAfter {
                idleShare = 100 * Double(ProcFS.onCPUDelta(idleBefore, idleAfter)) / 1e9 / window
            }
            status = await worker.stop().map { "\($0)" } ?? "killed"
            return (result, idleShare, hueyShare, status)
        } catch {
            await worker.stop()
            throw error
        }
    }

    /// litequeue: a consumer process polling, a producer process putting at the same pace.
    func litequeue() async throws -> (Trickle, Double) {
        let path = "\(rig.directory)/lq-pickup-\(UUID().uuidString.prefix(8)).sqlite"
        defer { rig.remove(path) }
        rig.standIn.setDelay(millis: 0)
        _ = try await rig.python.run(["lq-init", path])
        let consumer = try rig.python.start(["lq-consume", path, "\(count)", "\(rig.standIn.port)", "\(pollMillis)"])
        do {
            try await Task.sleep(for: .seconds(1))
            rig.standIn.recorder.reset()
            let start = ContinuousClock.now
            let out = try await rig.python.run(["lq-produce", path, "\(count)", "\(rate)"])
            let trickle = try await collect(sentTimes(out))
            guard await consumer.wait(timeout: .seconds(30)) == 0 else {
                throw OutsideError("litequeue consumer failed: \(consumer.stderrTail())")
            }
            let window = (ContinuousClock.now - start).seconds + 1
            let cpu = (try rig.python.result(of: consumer))["cpu_seconds"] as? Double ?? 0
            return (trickle, 100 * cpu / window)
        } catch {
            consumer.signal(SIGKILL)
            await consumer.wait(timeout: .seconds(5))
            throw error
        }
    }

    /// Waits for every sent code at the stand-in and returns the latencies in ms.
    func collect(_ sent: [(String, Int64)]) async throws -> Trickle {
        let deadline = ContinuousClock.now + .seconds(30)
        var received: [String: Int64] = [:]
        while ContinuousClock.now < deadline {
            received = rig.standIn.recorder.snapshot.receivedAt
            if sent.allSatisfy({ received[$0.0] != nil }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        var latencies: [Double] = []
        var missing = 0
        for (code, committed) in sent {
            if let at = received[code] { latencies.append(Double(at - committed) / 1_000) } else { missing += 1 }
        }
        return Trickle(latencies: latencies, missing: missing)
    }
}
