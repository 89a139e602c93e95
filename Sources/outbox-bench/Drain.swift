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
    @Option(help: "Give up (exit 3) this many seconds after --stop-file appears if work is still left.")
    var maxSeconds = 120
    @Option(help: "Give up (exit 3) after this many seconds in all, so a test run that dies leaves nothing behind.")
    var lifetimeSeconds = 300

    func run() throws {
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let clock = SystemWallClock()
        let started = ContinuousClock.now
        var stopSeen: ContinuousClock.Instant?
        var claimedCount = 0
        while true {
            let now = clock.now()
            // As the worker does: a read says whether anything is due, so an idle claimer does not
            // take the write lock hundreds of times a second and starve the producers of it.
            let claimed = try store.claimForWorker(owner: owner, now: now, limit: batch, leaseMillis: leaseMs)
            if claimed.isEmpty {
                if stopSeen == nil, FileManager.default.fileExists(atPath: stopFile) { stopSeen = .now }
                if let stopSeen {
                    let view = try store.overview(now: now, troubleSince: now)
                    let left = view.counts.filter { $0.state == .pending || $0.state == .inFlight }
                    if left.isEmpty { return }
                    if ContinuousClock.now - stopSeen > .seconds(maxSeconds) || ContinuousClock.now - started > .seconds(lifetimeSeconds) {
                        let described = left.map { "\($0.state.rawValue) \($0.count)" }.joined(separator: ", ")
                        FileHandle.standardError.write(Data(
                            "drain \(owner): giving up with work left (\(described)); claimed \(claimedCount)\n".utf8))
                        throw ExitCode(3)
                    }
                } else if ContinuousClock.now - started > .seconds(lifetimeSeconds) {
                    FileHandle.standardError.write(Data("drain \(owner): no stop file after \(lifetimeSeconds) s\n".utf8))
                    throw ExitCode(3)
                }
                usleep(2_000)
                continue
            }
            let applied = try store.recordEach(
                claimed.map { [claimedOutcome($0, owner: owner, now: now)] }, worker: owner, now: now)
            for (command, ok) in zip(claimed, applied) {
                if ok {
                    claimedCount += 1
                    emitLine("claimed \(command.id)")
                } else {
                    FileHandle.standardError.write(Data("drain \(owner): lost the lease on \(command.id)\n".utf8))
                }
            }
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
