import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `outbox inspect list --follow` on the built binary (here, with the other built-binary tests
/// that need a process read while it runs): it prints what is there, then every new command,
/// state change and outcome as the store makes them, and exits 0 on SIGTERM or SIGINT.
@Suite(.serialized) struct InspectFollowBinaryTests {
    static func pairRequest(_ terminal: String = "STORE1-TILL9") -> NewCommand {
        NewCommand(
            commandKey: UUID().uuidString.lowercased(), kind: .asyncPairRequest,
            payload: #"{"TerminalTagCode":"\#(terminal)"}"#)
    }

    /// Waits until stdout has a line satisfying `condition` (true) or `timeout` passes (false).
    static func waitForLine(
        _ process: WorkerProcess, timeout: Duration = .seconds(60), _ condition: (String) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if process.stdout.split(separator: "\n").contains(where: { condition(String($0)) }) { return true }
            if !process.process.isRunning { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.stdout.split(separator: "\n").contains { condition(String($0)) }
    }

    static func objects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func event(_ line: String) -> (event: String, key: String, state: String, outcome: String?)? {
        guard let object = objects(line).first, let command = object["command"] as? [String: Any] else { return nil }
        return (
            object["event"] as? String ?? "", command["command_key"] as? String ?? "", command["state"] as? String ?? "",
            object["outcome"] as? String
        )
    }

    @Test func jsonLinesForNewCommandsStateChangesAndOutcomesThenExit0OnSigterm() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let existing = Self.pairRequest("STORE1-TILL1")
        _ = try store.enqueue(existing)
        let follow = try WorkerProcess(
            ["inspect", "list", "--follow", "--json", "--db", db], executable: BuiltProducts.path("outbox"))
        #expect(await follow.waitForStderr("following:"), "\(follow.stderr)")
        #expect(await Self.waitForLine(follow) { Self.event($0)?.event == "listed" && Self.event($0)?.key == existing.commandKey })

        // New: queued by a producer.
        let fresh = Self.pairRequest()
        let id = try store.enqueue(fresh).id
        #expect(await Self.waitForLine(follow) { Self.event($0)?.event == "new" && Self.event($0)?.key == fresh.commandKey })
        // Changed: a worker claims it.
        let now = SystemWallClock().now()
        let claimed = try store.claim(owner: "w", now: now, limit: 10, leaseMillis: 60_000)
        #expect(claimed.contains { $0.id == id })
        #expect(
            await Self.waitForLine(follow) { line in
                guard let event = Self.event(line) else { return false }
                return event.event == "changed" && event.key == fresh.commandKey && event.state == "in_flight"
            }, "\(follow.stdout)")
        // Finished: its outcome is recorded.
        try store.record(
            [CommandUpdate(commandID: id, precondition: .leasedBy("w"), next: .finish(InboxOutcome(.succeeded)))],
            worker: "w", now: now)
        #expect(
            await Self.waitForLine(follow) { line in
                guard let event = Self.event(line) else { return false }
                return event.event == "finished" && event.key == fresh.commandKey && event.outcome == "succeeded"
            }, "\(follow.stdout)")

        follow.signal(SIGTERM)
        #expect(await follow.waitForExit() == 0, "\(follow.stderr)")
        // Every line is one JSON object; the outcome was shown once.
        let lines = follow.stdout.split(separator: "\n")
        #expect(Self.objects(follow.stdout).count == lines.count, "\(follow.stdout)")
        #expect(lines.filter { Self.event(String($0))?.event == "finished" }.count == 1)
    }

    @Test func textLinesAndExit0OnSigint() async throws {
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        let follow = try WorkerProcess(
            ["inspect", "list", "--follow", "--kind", "async_pair_request", "--db", db],
            executable: BuiltProducts.path("outbox"))
        #expect(await follow.waitForStderr("following:"), "\(follow.stderr)")
        // Another kind first: by the time the wanted line shows, a poll has seen it too.
        let other = NewCommand(
            commandKey: UUID().uuidString.lowercased(), kind: .marketplaceApprove, payload: #"{"PaymentId":48213}"#)
        _ = try store.enqueue(other)
        let wanted = Self.pairRequest()
        _ = try store.enqueue(wanted)
        #expect(
            await Self.waitForLine(follow) { $0.contains("new") && $0.contains(wanted.commandKey) && $0.contains("pending") },
            "\(follow.stdout)")
        follow.signal(SIGINT)
        #expect(await follow.waitForExit() == 0, "\(follow.stderr)")
        #expect(!follow.stdout.contains(other.commandKey), "--kind filters what is followed")
    }
}
