import OutboxModel
import Synchronization
import Testing

@testable import OutboxPostgres

@Suite("The database server's clock, kept locally")
struct PostgresServerClockTests {
    final class SteppingClock: WallClock {
        let value = Mutex<EpochMillis>(1_800_000_000_000)
        func now() -> EpochMillis { value.withLock { $0 } }
        func step(by millis: Int64) { value.withLock { $0 += millis } }
    }

    @Test("a step of this machine's wall clock does not move the server's time the worker keeps")
    func localStep() {
        let local = SteppingClock()
        let clock = PostgresServerClock(local: local)
        let before = clock.now()
        let monotonic = clock.monotonicMillis()
        local.step(by: -3_600_000)
        let after = clock.now()
        #expect(after >= before && after - before < 1_000)
        #expect((clock.monotonicMillis() ?? 0) - (monotonic ?? 0) < 1_000)
        // What it reports as the difference is the local step, seen from the server's side.
        #expect(clock.offsetMillis >= 3_600_000)
    }
}
