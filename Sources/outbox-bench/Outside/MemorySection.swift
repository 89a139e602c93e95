import Foundation

/// The worker's resident memory over its life: idle at start, after 1,000 commands, after
/// `commands`, and after idling; issue 11's target is RSS after 100,000 within 1.2× of after 1,000.
struct MemorySection {
    let rig: OutsideRig
    let commands: Int
    let concurrency: Int
    let idleSeconds: Int

    func run(into report: inout Report) async {
        var section = Report.Section(title: "Memory: one worker, \(commands) sales queued while it runs (concurrency \(concurrency))")
        do {
            let path = try rig.newDatabase("memory")
            defer { rig.remove(path) }
            rig.standIn.setDelay(millis: 0)
            let worker = try await rig.startWorker(path, concurrency: concurrency)
            do {
                try await Task.sleep(for: .milliseconds(1_500))
                let atStart = ProcFS.residentBytes(pid: worker.pid)
                rig.standIn.recorder.reset()
                let producer = try rig.python.start(["fill", path, "\(commands)", "1000", "\(rig.deadlineMillis)"])
                var after1k: Int?
                var samples: [(Int, Int)] = []
                var nextSample = 0
                let start = ContinuousClock.now
                _ = try await rig.waitForOutcomes(path, count: commands, worker: worker, stallLimit: .seconds(120)) { seen in
                    if seen >= 1_000 && after1k == nil { after1k = ProcFS.residentBytes(pid: worker.pid) }
                    if seen >= nextSample, let rss = ProcFS.residentBytes(pid: worker.pid) {
                        samples.append((seen, rss))
                        nextSample = seen + max(commands / 10, 1)
                    }
                }
                let drainSeconds = (ContinuousClock.now - start).seconds
                await producer.wait(timeout: .seconds(60))
                let atEnd = ProcFS.residentBytes(pid: worker.pid)
                try await Task.sleep(for: .seconds(idleSeconds))
                let afterIdle = ProcFS.residentBytes(pid: worker.pid)
                let peak = ProcFS.peakResidentBytes(pid: worker.pid)
                let status = await worker.stop()
                rig.log("memory: start \(Fmt.mb(atStart.map(Double.init))), 1k \(Fmt.mb(after1k.map(Double.init))), \(commands) \(Fmt.mb(atEnd.map(Double.init))), idle \(Fmt.mb(afterIdle.map(Double.init)))")

                section.add("RSS idle at start", Fmt.mb(atStart.map(Double.init)))
                section.add("RSS after 1,000 commands", Fmt.mb(after1k.map(Double.init)))
                section.add(
                    "RSS after \(commands) commands", Fmt.mb(atEnd.map(Double.init)),
                    reference: "after 1,000", ratio: Fmt.ratio(atEnd.map(Double.init), after1k.map(Double.init)) + " (target ≤ 1.20×)")
                section.add("RSS after \(idleSeconds) s idle", Fmt.mb(afterIdle.map(Double.init)), reference: "at start", ratio: Fmt.ratio(afterIdle.map(Double.init), atStart.map(Double.init)))
                section.add("peak RSS (VmHWM)", Fmt.mb(peak.map(Double.init)))
                section.add("drain while the producer fills", Fmt.rate(Double(commands) / drainSeconds), reference: "(producer inserting at the same time)")
                section.note(
                    "RSS along the way (requests seen: MB): "
                        + samples.map { "\($0.0): " + String(format: "%.0f", Double($0.1) / 1_048_576) }.joined(separator: ", "))
                section.note("worker exit status after SIGTERM: \(status.map { "\($0)" } ?? "killed")")
                let outcomes = try rig.outcomes(path)
                if outcomes["succeeded"] != commands { section.note("outcomes: \(outcomes)") }
            } catch {
                await worker.stop()
                throw error
            }
        } catch {
            section.note("failed: \(error)")
            rig.log("memory failed: \(error)")
        }
        report.sections.append(section)
    }
}
