import Foundation

/// How much to fuzz: small and fast in CI, as much as asked from `tools/fuzz-rows.sh`.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `OUTBOX_FUZZ_ROWS` | 200 | rows the worker run writes (one in five a control sale) |
/// | `OUTBOX_FUZZ_CONTRACT_ROWS` | 300 | rows the insert-contract property check writes (no worker) |
/// | `OUTBOX_FUZZ_SEED` | random | the worker run's seed (printed; give it back to repeat the rows) |
/// | `OUTBOX_FUZZ_KEEP` | off | `1`: keep the run's folder (database, worker log) even when it passes |
struct FuzzSettings: Sendable {
    var rows = 200
    var contractRows = 300
    var seed = UInt64.random(in: 1...UInt64.max)
    var keep = false

    static var current: FuzzSettings {
        let env = ProcessInfo.processInfo.environment
        var settings = FuzzSettings()
        if let rows = env["OUTBOX_FUZZ_ROWS"].flatMap(Int.init), rows > 0 { settings.rows = rows }
        if let rows = env["OUTBOX_FUZZ_CONTRACT_ROWS"].flatMap(Int.init), rows > 0 { settings.contractRows = rows }
        if let seed = env["OUTBOX_FUZZ_SEED"].flatMap(UInt64.init) { settings.seed = seed }
        settings.keep = env["OUTBOX_FUZZ_KEEP"] == "1"
        return settings
    }

    /// How to run the same rows again.
    var repeatHint: String {
        "OUTBOX_FUZZ_SEED=\(seed) OUTBOX_FUZZ_ROWS=\(rows) tools/fuzz-rows.sh"
    }
}
