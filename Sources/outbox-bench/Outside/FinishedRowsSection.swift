import Foundation

/// Does history slow the worker? The same backlog drained from a database holding few finished
/// commands and from one holding many (with their attempt and inbox rows), written directly by SQL
/// in scratch databases that are copied for each run.
struct FinishedRowsSection {
    let rig: OutsideRig
    let small: Int
    let large: Int
    let backlog: Int
    let concurrency: Int
    let batch: Int
    let repeats: Int

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "History: a backlog of \(backlog) drained with \(small) vs \(large) finished commands in the database")
        do {
            var bases: [Int: String] = [:]
            for size in [small, large] {
                let path = try rig.newDatabase("finished-\(size)")
                let out = try await rig.python.run(["prefill-finished", path, "\(size)"])
                let seconds = out["seconds"] as? Double ?? 0
                rig.log(String(format: "prepared %d finished commands in %.1f s", size, seconds))
                section.note(String(format: "preparing %d finished commands (+ attempt and inbox rows) took %.1f s", size, seconds))
                bases[size] = path
            }
            defer { for path in bases.values { rig.remove(path) } }
            var worker: [Int: [Double]] = [:]
            var store: [Int: [Double]] = [:]
            for repeatIndex in 0..<repeats {
                let sizes = repeatIndex % 2 == 0 ? [small, large] : [large, small]
                for size in sizes {
                    let copy = "\(rig.directory)/finished-copy-\(UUID().uuidString.prefix(8)).sqlite"
                    try FileManager.default.copyItem(atPath: bases[size]!, toPath: copy)
                    defer { rig.remove(copy) }
                    try await rig.fill(copy, count: backlog)
                    let drain = try await WorkerDrain.run(
                        rig: rig, path: copy, commands: backlog, concurrency: concurrency, delayMillis: 0)
                    worker[size, default: []].append(drain.rate)
                    rig.log("history \(size) finished \(repeatIndex + 1)/\(repeats) worker: \(drain.summary)")

                    let second = "\(rig.directory)/finished-store-\(UUID().uuidString.prefix(8)).sqlite"
                    try FileManager.default.copyItem(atPath: bases[size]!, toPath: second)
                    defer { rig.remove(second) }
                    try await rig.fill(second, count: backlog)
                    let result = try RawSQLiteReference.ourStore(
                        directory: rig.directory, count: backlog, batch: batch, path: second)
                    store[size, default: []].append(result.rate)
                    rig.log(String(format: "history %d finished store ×%d: %.0f /s", size, batch, result.rate))
                }
            }
            section.add(
                "worker drain with \(large) finished", Fmt.spread(worker[large] ?? []) { Fmt.rate($0) },
                reference: "with \(small): " + Fmt.rate(median(worker[small] ?? [])),
                ratio: Fmt.ratio(median(worker[large] ?? []), median(worker[small] ?? [])) + " (target ≥ 0.83×)")
            section.add(
                "our store claim+recordEach ×\(batch) with \(large)", Fmt.spread(store[large] ?? []) { Fmt.rate($0) },
                reference: "with \(small): " + Fmt.rate(median(store[small] ?? [])),
                ratio: Fmt.ratio(median(store[large] ?? []), median(store[small] ?? [])))
        } catch {
            section.note("failed: \(error)")
            rig.log("history failed: \(error)")
        }
        report.sections.append(section)
    }
}
