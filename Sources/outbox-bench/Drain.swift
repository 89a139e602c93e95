import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore

/// `outbox-bench drain`: a claimer process for multi-process tests.
struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Claim and record commands until told to stop (a claimer for multi-process tests).",
        discussion: """
            Prints `claimed <id>` for every command it records. Stops once --stop-file exists and
            nothing is pending or in flight.
            Example: outbox-bench drain --db outbox.sqlite --owner A --stop-file /tmp/stop
            """)

    @Option(help: "Database file.") var db: String
    @Option(help: "Lease owner name.") var owner: String
    @Option(help: "Stop when this file exists and the queue is empty.") var stopFile: String
    @Option(help: "Claim batch size.") var batch = 8
    @Option(help: "Lease length in milliseconds.") var leaseMs: Int64 = 30_000
    @Option(help: "Give up (exit 3) after this many seconds, so a test run that dies leaves nothing behind.")
    var maxSeconds = 120

    func run() throws {
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let clock = SystemWallClock()
        let giveUp = ContinuousClock.now + .seconds(maxSeconds)
        while true {
            if ContinuousClock.now > giveUp { throw ExitCode(3) }
            let now = clock.now()
            let claimed = try store.claim(owner: owner, now: now, limit: batch, leaseMillis: leaseMs)
            if claimed.isEmpty {
                if FileManager.default.fileExists(atPath: stopFile) {
                    let view = try store.overview(now: now, troubleSince: now)
                    if !view.counts.contains(where: { $0.state == .pending || $0.state == .inFlight }) { return }
                }
                usleep(2_000)
                continue
            }
            let applied = try store.recordEach(
                claimed.map { [claimedOutcome($0, owner: owner, now: now)] }, worker: owner, now: now)
            for (command, ok) in zip(claimed, applied) where ok { emitLine("claimed \(command.id)") }
        }
    }
}

/// `outbox-bench hold`: claims commands and holds them until killed (for crash tests).
struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Claim commands, print `held <id>` for each, then wait to be killed (crash tests).")

    @Option(help: "Database file.") var db: String
    @Option(help: "Lease owner name.") var owner: String
    @Option(help: "How many to claim.") var count = 5
    @Option(help: "Lease length in milliseconds.") var leaseMs: Int64 = 600_000
    @Option(help: "Exit after this many seconds if nobody killed it.") var maxSeconds: UInt32 = 120

    func run() throws {
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let claimed = try store.claim(owner: owner, now: SystemWallClock().now(), limit: count, leaseMillis: leaseMs)
        // As a worker does before each request leaves: the commands may now be at Paywall.
        for command in claimed {
            _ = try store.markSending(commandID: command.id, owner: owner, now: SystemWallClock().now(), durable: false)
            emitLine("held \(command.id)")
        }
        emitLine("ready")
        sleep(maxSeconds)
    }
}

/// Writes a line to stdout at once (unbuffered), so a test reading the pipe sees it immediately.
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
