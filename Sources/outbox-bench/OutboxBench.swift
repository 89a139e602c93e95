import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore

/// Benchmarks of the outbox store, and the claimer processes the multi-process tests run.
@main
struct OutboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox-bench",
        abstract: "Measure the outbox store, or run a test claimer against a database file.",
        discussion: """
            Numbers are printed, never asserted: compare runs on the same machine.
            Examples: outbox-bench store --count 20000 --finished 1000000
                      outbox-bench worker --count 2000
                      outbox-bench memory --first 1000 --then 20000
                      outbox-bench outside            (the worker binary from outside, beside peers)
            """,
        subcommands: [
            StoreBenchmark.self, WorkerBenchmark.self, MemoryBenchmark.self, OutsideBenchmark.self, Drain.self, Hold.self,
        ],
        defaultSubcommand: StoreBenchmark.self
    )
}

/// Nanoseconds → seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// A sale with a fresh MerchantUniqueCode.
func benchSale() -> NewCommand {
    let key = UUID().uuidString.lowercased()
    return NewCommand(
        commandKey: key, kind: .asyncSale,
        payload:
            #"{"MerchantUniqueCode":"\#(key)","Amount":22.10,"CurrencyId":1,"TerminalTagCode":"BENCH-1","Products":[{"Name":"Bench","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}"#)
}

/// The outcome a test claimer records for every command it claims.
func claimedOutcome(_ command: OutboxCommand, owner: String, now: EpochMillis) -> CommandUpdate {
    CommandUpdate(
        commandID: command.id, precondition: .leasedBy(owner),
        attempt: AttemptRecord(startedAt: now, durationMillis: 0, httpStatus: 200, outcome: "succeeded"),
        countsAsAttempt: true, next: .finish(InboxOutcome(.succeeded)))
}
