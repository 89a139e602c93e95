import Foundation

/// Issue 11's concurrency targets: against a stand-in with a fixed round trip, does the drain
/// reach 0.8 × concurrency ÷ round trip?
struct ConcurrencySection {
    struct Target: CustomStringConvertible {
        var concurrency: Int
        var delayMillis: Int
        var ideal: Double { Double(concurrency) * 1_000 / Double(delayMillis) }
        var description: String { "\(concurrency)@\(delayMillis)" }

        /// "8@50,64@50,256@250".
        static func parse(_ text: String) throws -> [Target] {
            try text.split(separator: ",").map { item in
                let parts = item.split(separator: "@")
                guard parts.count == 2, let c = Int(parts[0]), let d = Int(parts[1]), (1...256).contains(c), d > 0 else {
                    throw OutsideError("--concurrency-targets: \(item) is not CONCURRENCY@DELAY_MS (1...256 @ > 0)")
                }
                return Target(concurrency: c, delayMillis: d)
            }
        }
    }

    let rig: OutsideRig
    let targets: [Target]
    let seconds: Double
    let repeats: Int

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "Real concurrency: drain vs concurrency ÷ round trip (stand-in delay = round trip), target ≥ 0.8")
        var results: [[WorkerDrain]] = targets.map { _ in [] }
        var failures: [String] = []
        for repeatIndex in 0..<repeats {
            for offset in 0..<targets.count {
                let index = (offset + repeatIndex) % targets.count
                let target = targets[index]
                // Enough commands for `seconds` of steady state at the ideal rate.
                let backlog = max(4 * target.concurrency, Int(target.ideal * seconds))
                do {
                    let path = try rig.newDatabase("concurrency")
                    defer { rig.remove(path) }
                    try await rig.fill(path, count: backlog)
                    let drain = try await WorkerDrain.run(
                        rig: rig, path: path, commands: backlog, concurrency: target.concurrency,
                        delayMillis: target.delayMillis)
                    results[index].append(drain)
                    rig.log("concurrency \(target) \(repeatIndex + 1)/\(repeats): \(drain.summary)")
                } catch {
                    failures.append("\(target): \(error)")
                    rig.log("concurrency \(target) failed: \(error)")
                }
            }
        }
        for (target, drains) in zip(targets, results) {
            let rate = median(drains.map(\.rate))
            let fraction = rate.map { $0 / target.ideal }
            let verdict = fraction.map { String(format: "%.2f ", $0) + ($0 >= 0.8 ? "met" : "NOT met") } ?? "–"
            section.add(
                "c=\(target.concurrency), round trip \(target.delayMillis) ms: drain", Fmt.spread(drains.map(\.rate)) { Fmt.rate($0) },
                reference: "c÷RTT = " + Fmt.rate(target.ideal), ratio: verdict)
            section.add(
                "  max in flight at stand-in / worker CPU per command",
                "\(drains.map(\.maxInFlight).max() ?? 0) / " + Fmt.ms(median(drains.map(\.cpuPerCommandMillis)), digits: 3),
                reference: "stand-in busy " + Fmt.percent(median(drains.map { 100 * $0.standInCPU / $0.secondsFromStart }), digits: 0))
        }
        section.note("backlog per run: max(4 × c, ideal rate × \(seconds) s); rate from first request to last outcome (connection set-up included)")
        for failure in failures { section.note("failed: \(failure)") }
        report.sections.append(section)
    }
}
