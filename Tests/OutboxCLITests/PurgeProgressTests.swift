import Foundation
import OutboxModel
import Testing

@testable import OutboxCLI
@testable import OutboxStore

@Suite("CLI: progress of a long purge")
struct PurgeProgressTests {
    @Test("purge progress: nothing before the interval, then at most one line per interval")
    func progress() {
        var progress = PurgeProgress(total: 2_000, every: .seconds(1))
        let start = progress.started
        let batch = PurgeResult(cutoff: 0, commands: 500, attempts: 900, inbox: 0, keptForFollowUps: 0, dryRun: false)
        #expect(progress.line(after: batch, at: start + .milliseconds(400)) == nil)
        #expect(
            progress.line(after: batch, at: start + .milliseconds(1_000))
                == "purge: 500 of 2000 command(s) deleted (25 %), 900 attempt(s)")
        var more = batch
        more.commands = 1_000
        #expect(progress.line(after: more, at: start + .milliseconds(1_500)) == nil)
        #expect(progress.line(after: more, at: start + .milliseconds(2_100))?.hasPrefix("purge: 1000 of 2000") == true)
    }

    @Test("a long purge reports progress on stderr; the final count stays on stdout")
    func purgeProgressEndToEnd() throws {
        let database = try TestDatabase()
        let store = try database.open()
        let count = 1_200
        var ids: [Int64] = []
        for _ in 0..<count {
            ids.append(
                try store.enqueue(
                    NewCommand(commandKey: Sample.guid(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#)
                ).id)
        }
        let now = SystemWallClock().now()
        _ = try store.claim(owner: "w", now: now, limit: count, leaseMillis: 60_000)
        try store.record(
            ids.map { CommandUpdate(commandID: $0, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded))) },
            worker: "w", now: now - 10_000)
        let ran = try outbox(["purge", "--older-than", "1ms", "--yes", "--progress-every", "1ms"], db: database.path)
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout.hasPrefix("deleted 1200 command(s)"), "\(ran.stdout)")
        let progress = ran.stderr.split(separator: "\n").filter { $0.hasPrefix("purge: ") }
        #expect(!progress.isEmpty, "\(ran.stderr)")
        #expect(progress.allSatisfy { $0.contains("of 1200 command(s) deleted") }, "\(progress)")
        #expect(!ran.stdout.contains("purge: "))
    }
}
