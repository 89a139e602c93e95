import OutboxModel
import OutboxStore
import Synchronization

/// An answer of `/health` or `/ready`: 200 with a short text, or 503 with the reason.
public struct HealthAnswer: Sendable, Hashable {
    /// Whether the check passed (200) or not (503).
    public var ok: Bool
    /// One line of plain text: what was found.
    public var text: String
}

/// When the dispatch loop last took an event, by the monotonic clock. The loop marks every turn
/// (its idle tick alone makes one every `idlePoll`), so a loop blocked or dead stops marking.
final class LoopLiveness: Sendable {
    private let origin = ContinuousClock.now
    /// Milliseconds after `origin` of the last turn; -1 before the first.
    private let lastTurn = Atomic<Int64>(-1)

    /// Marks a turn of the loop.
    func turned() { lastTurn.store((ContinuousClock.now - origin).wholeMilliseconds, ordering: .relaxed) }

    /// How long ago the loop last turned; nil when it has not started yet.
    func age() -> Duration? {
        let last = lastTurn.load(ordering: .relaxed)
        guard last >= 0 else { return nil }
        return (ContinuousClock.now - origin) - .milliseconds(last)
    }
}

/// The decisions of `/health` and `/ready`, pure: what was observed goes in, the answer comes out.
public enum HealthCheck {
    /// How long the loop may go without a turn before `/health` fails: ten idle ticks, at least 5 s
    /// (a turn may wait for the database lock for a moment; a loop that misses ten ticks is stuck).
    public static func loopStaleAfter(idlePollMillis: Int64) -> Duration {
        .milliseconds(max(5_000, 10 * idlePollMillis))
    }

    /// `/health`: the dispatch loop is alive. Paused dispatch is alive (the loop keeps turning while
    /// it waits for Paywall), so a pause is reported but does not fail the check.
    public static func liveness(loopAge: Duration?, staleAfter: Duration, pausedReason: String?) -> HealthAnswer {
        guard let loopAge else {
            return HealthAnswer(ok: true, text: "starting: the dispatch loop has not started yet")
        }
        let seconds = Self.seconds(loopAge)
        guard loopAge <= staleAfter else {
            return HealthAnswer(
                ok: false,
                text: "dispatch loop stuck: no turn for \(seconds) s (limit \(Self.seconds(staleAfter)) s)")
        }
        let paused = pausedReason.map { "; dispatch paused (\($0))" } ?? ""
        return HealthAnswer(ok: true, text: "ok: dispatch loop turned \(seconds) s ago\(paused)")
    }

    /// `/ready`: the database is open (the file the worker opened is still at its path), at this
    /// binary's schema version, and writable: the worker's own heartbeat (written every 2 s) was
    /// committed within `heartbeatLimitMillis` (10 s). A worker that is stopping is not ready.
    public static func readiness(
        facts: Result<ReadinessFacts, any Error>, fileProblem: String?, latestSchema: Int, now: EpochMillis,
        heartbeatLimitMillis: Int64 = WorkerStatusRow.staleAfterMillis
    ) -> HealthAnswer {
        if let fileProblem { return HealthAnswer(ok: false, text: "database not open: \(fileProblem)") }
        let found: ReadinessFacts
        switch facts {
        case .success(let value): found = value
        case .failure(let error): return HealthAnswer(ok: false, text: "database not readable: \(error)")
        }
        if found.schemaVersion != latestSchema {
            let advice =
                found.schemaVersion > latestSchema
                ? "newer than this worker knows (\(latestSchema)): upgrade the worker"
                : "older than this worker needs (\(latestSchema)): run `outbox migrate`"
            return HealthAnswer(ok: false, text: "database schema version \(found.schemaVersion) is \(advice)")
        }
        guard let beat = found.heartbeatAt else {
            return HealthAnswer(ok: false, text: "starting: no heartbeat written yet")
        }
        let age = now - beat
        guard age <= heartbeatLimitMillis else {
            return HealthAnswer(
                ok: false,
                text:
                    "database not writable: the last heartbeat was committed \(age / 1_000) s ago (limit \(heartbeatLimitMillis / 1_000) s)")
        }
        if let state = found.heartbeatState, state == "stopping" || state == "stopped" {
            return HealthAnswer(ok: false, text: "\(state): shutting down")
        }
        return HealthAnswer(ok: true, text: "ready: database open, writable, schema version \(found.schemaVersion)")
    }

    /// Seconds with one decimal.
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.wholeMilliseconds / 100
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
