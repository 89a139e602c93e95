#if canImport(Glibc)
    import Glibc
#endif
import GRDBSQLite

/// How the product's connections wait for a lock another connection holds (SQLite's busy
/// handler): retries after 0.05, 0.1, 0.2, 0.4, 0.8, 1, 2, 5, 10, 15, 20, 25 ms, then every 25 ms,
/// for at most the configured busy timeout, the last sleep cut to what is left of it.
///
/// SQLite's own handler (`sqlite3_busy_timeout`) first sleeps a whole millisecond. A producer's
/// commit holds the lock for a few hundred microseconds, and the worker's change watcher wakes at
/// that commit's first WAL write: a claim that meets the lock still held slept 1 ms, the p99 of
/// insert → request (clock marks inside the worker: BEGIN 39 µs at the median, 1,105 µs at the
/// 99th percentile).
enum BusyWait {
    /// The sleep before each retry, in µs; the last repeats.
    static let delaysMicros: [Int64] = [50, 100, 200, 400, 800, 1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 25_000]

    /// What to do the `tries`-th time (0 first) SQLite finds the lock taken, with a busy timeout
    /// of `timeoutMillis`: sleep that many µs then retry, or give up (nil) when the sleeps so far
    /// have used the timeout.
    static func sleepMicros(tries: Int, timeoutMillis: Int) -> Int64? {
        let budget = Int64(max(timeoutMillis, 0)) * 1_000
        let last = delaysMicros.count - 1
        let prior: Int64
        let delay: Int64
        if tries <= last {
            prior = delaysMicros[..<tries].reduce(0, +)
            delay = delaysMicros[tries]
        } else {
            prior = delaysMicros.reduce(0, +) + Int64(tries - last - 1) * delaysMicros[last]
            delay = delaysMicros[last]
        }
        let left = budget - prior
        guard left > 0 else { return nil }
        return min(delay, left)
    }

    /// Installs the handler on `connection` with `timeoutMillis` (0: fail at once with
    /// SQLITE_BUSY). Replaces any busy handler or `sqlite3_busy_timeout` set before.
    static func install(_ connection: OpaquePointer?, timeoutMillis requested: Int) {
        // Bounded as sqlite3_busy_timeout's argument is (the schedule's arithmetic stays small).
        let timeoutMillis = min(requested, Int(Int32.max))
        guard timeoutMillis > 0 else {
            sqlite3_busy_handler(connection, nil, nil)
            return
        }
        sqlite3_busy_handler(
            connection,
            { context, tries in
                let timeout = Int(bitPattern: context)
                guard let micros = BusyWait.sleepMicros(tries: Int(tries), timeoutMillis: timeout) else { return 0 }
                usleep(UInt32(micros))
                return 1
            },
            UnsafeMutableRawPointer(bitPattern: timeoutMillis))
    }
}
