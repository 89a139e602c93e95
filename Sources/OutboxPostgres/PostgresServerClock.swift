import Logging
import OutboxModel
import PostgresNIO
import Synchronization

/// The database server's clock, read locally: this machine's clock plus the offset to the
/// server's `outbox_now_ms()`, measured at start and again every ``refreshInterval``.
///
/// Leases, Retry-After holds, the shared pause and due times are compared across machines; with
/// every worker on the server's clock, a machine whose clock runs a minute ahead does not take
/// other workers' leases a minute early. The offset is measured over one round trip and taken at
/// its middle, so it is right to within half the round trip (milliseconds on a LAN).
public final class PostgresServerClock: WallClock {
    private let local: any WallClock
    private let offset = Mutex<Int64>(0)
    /// How often the offset is measured again.
    public static let refreshInterval = Duration.seconds(60)

    /// A clock on `local` until the first ``refresh(_:logger:)``.
    public init(local: any WallClock = SystemWallClock()) {
        self.local = local
    }

    public func now() -> EpochMillis { local.now() + offset.withLock { $0 } }

    public func monotonicMillis() -> Int64? { local.monotonicMillis() }

    /// The server's offset from the local clock now (ms; positive: the server is ahead).
    public var offsetMillis: Int64 { offset.withLock { $0 } }

    /// Measures the offset. Throws the driver's error (the clock keeps its last offset).
    public func refresh(_ client: PostgresClient, logger: Logger) async throws {
        let before = local.now()
        let rows = try await client.query("SELECT outbox_now_ms()", logger: logger)
        var server: Int64?
        for try await value in rows.decode(Int64.self) { server = value }
        let after = local.now()
        guard let server else { return }
        let measured = server - (before + after) / 2
        let previous = offset.withLock { old in
            defer { old = measured }
            return old
        }
        if abs(measured - previous) > 1_000 {
            logger.notice(
                "This machine's clock and the database server's differ; the worker keeps time by the server's",
                metadata: ["outbox.clock.offset_ms": "\(measured)", "outbox.clock.round_trip_ms": "\(after - before)"])
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
