import Foundation

/// A producer's INSERT (Python's sqlite3, one statement per transaction) into our schema vs the
/// same INSERT into a plain table of the same columns, synchronous NORMAL and FULL; then what
/// each group of the validation trigger (and the secondary indexes) costs, measured by dropping
/// it in a scratch copy.
struct InsertSection {
    let rig: OutsideRig
    let count: Int
    let countFull: Int
    let repeats: Int

    func run(into report: inout Report) async {
        var section = Report.Section(
            title: "Producer INSERT (python3 sqlite3, autocommit, one sale per statement): \(count) rows per variant and round (FULL: \(countFull))")
        do {
            let schema = try rig.newDatabase("insert-schema")
            let plain = "\(rig.directory)/insert-plain.sqlite"
            _ = try await rig.python.run(["plain-table", plain])
            let groupsOut = try await rig.python.run(["groups", schema])
            let groups = (groupsOut["groups"] as? [[Any]] ?? []).compactMap { pair -> (String, Int)? in
                guard pair.count == 2, let name = pair[0] as? String else { return nil }
                return (name, (pair[1] as? NSNumber)?.intValue ?? 0)
            }
            var variants: [(name: String, path: String, table: String)] = [
                ("schema", schema, "outbox"), ("plain", plain, "plain"),
            ]
            // The control re-creates the trigger unchanged: what re-creating alone does to the figures.
            var scratch = ["no-validation", "no-secondary-indexes", "no-group:(control)"] + groups.map { "no-group:\($0.0)" }
            scratch.sort()
            for variant in scratch {
                let path = try rig.newDatabase("insert-variant")
                _ = try await rig.python.run(["variant", path, variant])
                variants.append((variant, path, "outbox"))
            }
            defer { for variant in variants { rig.remove(variant.path) } }

            var normal: [String: [Double]] = [:]
            var normalMedian: [String: [Double]] = [:]
            var full: [String: [Double]] = [:]
            // One producer process per round inserts into every variant in turn, 100 rows at a
            // time in rotating order: on a shared machine, load drift hits them all alike.
            func compare(_ chosen: [(name: String, path: String, table: String)], count: Int, sync: String, chunk: Int)
                async throws -> [(name: String, rate: Double, median: Double)]
            {
                let out = try await rig.python.run(
                    ["insert-compare", "\(count)", sync, "\(chunk)"] + chosen.map { "\($0.path):\($0.table)" })
                let results = out["results"] as? [[String: Any]] ?? []
                return zip(chosen, results).map {
                    ($0.name, $1["rate"] as? Double ?? 0, $1["median_us"] as? Double ?? 0)
                }
            }
            for repeatIndex in 0..<repeats {
                for result in try await compare(variants, count: count, sync: "NORMAL", chunk: 100) {
                    normal[result.name, default: []].append(result.rate)
                    normalMedian[result.name, default: []].append(result.median)
                }
                for result in try await compare(
                    variants.filter { $0.name == "schema" || $0.name == "plain" }, count: countFull, sync: "FULL", chunk: 50)
                {
                    full[result.name, default: []].append(result.rate)
                }
                rig.log(
                    "insert \(repeatIndex + 1)/\(repeats): schema \(Fmt.rate(normal["schema"]?.last)), plain \(Fmt.rate(normal["plain"]?.last)), FULL schema \(Fmt.rate(full["schema"]?.last)) plain \(Fmt.rate(full["plain"]?.last))")
            }
            let schemaRate = median(normal["schema"] ?? [])
            let plainRate = median(normal["plain"] ?? [])
            section.add(
                "INSERT into our schema, synchronous NORMAL", Fmt.spread(normal["schema"] ?? []) { Fmt.rate($0) },
                reference: "plain table " + Fmt.rate(plainRate), ratio: Fmt.ratio(schemaRate, plainRate) + " (target ≥ 0.70×)")
            section.add(
                "INSERT into our schema, synchronous FULL", Fmt.spread(full["schema"] ?? []) { Fmt.rate($0) },
                reference: "plain table " + Fmt.rate(median(full["plain"] ?? [])),
                ratio: Fmt.ratio(median(full["schema"] ?? []), median(full["plain"] ?? [])))
            let schemaMedian = median(normalMedian["schema"] ?? [])
            let plainMedian = median(normalMedian["plain"] ?? [])
            section.add(
                "  median INSERT (NORMAL): schema / plain", Fmt.number(schemaMedian) + " µs",
                reference: "plain " + Fmt.number(plainMedian) + " µs", ratio: Fmt.ratio(plainMedian, schemaMedian))
            for variant in scratch {
                let rate = median(normal[variant] ?? [])
                let saved = zip2(schemaMedian, median(normalMedian[variant] ?? [])).map { $0.0 - $0.1 }
                let label: String
                if variant == "no-group:(control)" {
                    label = "  the trigger dropped and re-created unchanged (control)"
                } else if variant.hasPrefix("no-group:") {
                    let name = String(variant.dropFirst("no-group:".count))
                    let statements = groups.first { $0.0 == name }?.1 ?? 0
                    label = "  without the '\(name)' checks (\(statements) statements)"
                } else if variant == "no-validation" {
                    label = "  without the validation trigger (\(groups.map(\.1).reduce(0, +)) statements)"
                } else {
                    label = "  without the secondary indexes (trigger kept)"
                }
                section.add(
                    label, Fmt.rate(rate), reference: "median INSERT saves " + (saved.map { String(format: "%.1f µs", $0) } ?? "–"),
                    ratio: Fmt.ratio(rate, plainRate) + " of plain")
            }
            section.note("plain: the outbox's columns, command_key UNIQUE (ON CONFLICT needs it), no CHECK, trigger or other index")
            section.note("rates include WAL checkpoints (stalls); 'saves' compares median single INSERTs (schema − variant): what the dropped part costs; groups are the trigger's commented blocks")
        } catch {
            section.note("failed: \(error)")
            rig.log("insert failed: \(error)")
        }
        report.sections.append(section)
    }
}

/// Both values, or nil.
func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
