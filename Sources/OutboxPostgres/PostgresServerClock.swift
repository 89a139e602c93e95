import Logging
import OutboxModel
import PostgresNIO
import Synchronization

/// The database server's clock, read locally: this process's monotonic clock plus the offset to
/// the server's `outbox_now_ms()`, measured at start and again every ``refreshInterval``. A step
/// of this machine's wall clock (NTP, a VM resumed) changes nothing here: only the server's time
/// counts, so one machine's step never moves what every machine shares (leases, holds, due times).
///
/// Leases, Retry-After holds, the shared pause and due times are compared across machines; with
/// every worker on the server's clock, a machine whose clock runs a minute ahead does not take
/// other workers' leases a minute early. The offset is measured over one round trip and taken at
/// its middle, so it is right to within half the round trip (milliseconds on a LAN).
public final class PostgresServerClock: WallClock {
    private let local: any WallClock
    private let origin = ContinuousClock.now
    /// Server time minus ``monotonic()``; until the first refresh, the local wall clock's.
    private let offset: Mutex<Int64>
    /// How often the offset is measured again.
    public static let refreshInterval = Duration.seconds(60)

    /// A clock on `local` until the first ``refresh(_:logger:)``.
    public init(local: any WallClock = SystemWallClock()) {
        self.local = local
        offset = Mutex(local.now())
    }

    /// Milliseconds since this clock was made, by the process's monotonic clock.
    private func monotonic() -> Int64 {
        let elapsed = (ContinuousClock.now - origin).components
        return elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    public func now() -> EpochMillis { monotonic() + offset.withLock { $0 } }

    /// The monotonic partner of ``now()``: a step is noticed only when the server's clock steps.
    public func monotonicMillis() -> Int64? { monotonic() }

    /// The server's time minus this machine's wall clock now (ms; positive: the server is ahead).
    public var offsetMillis: Int64 { now() - local.now() }

    /// Measures the offset. Throws the driver's error (the clock keeps its last offset).
    public func refresh(_ client: PostgresClient, logger: Logger) async throws {
        let before = monotonic()
        // outbox_now_ms()'s own expression, so the clock can be read before the schema exists
        // (`outbox migrate` on an empty database).
        let rows = try await client.query(
            "SELECT floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint", logger: logger)
        var server: Int64?
        for try await value in rows.decode(Int64.self) { server = value }
        let after = monotonic()
        guard let server else { return }
        offset.withLock { $0 = server - (before + after) / 2 }
        let difference = offsetMillis
        if abs(difference) > 1_000 {
            logger.notice(
                "This machine's clock and the database server's differ; the worker keeps time by the server's",
                metadata: ["outbox.clock.offset_ms": "\(difference)", "outbox.clock.round_trip_ms": "\(after - before)"])
        }
    }

    /// Measures again every ``refreshInterval`` until cancelled (a failure is logged and retried).
    public func keepRefreshed(_ client: PostgresClient, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.refreshInterval)
            do {
                try await refresh(client, logger: logger)
            } catch {
                logger.warning("Could not read the database server's clock", metadata: ["outbox.error": "\(error)"])
            }
        }
    }
}
