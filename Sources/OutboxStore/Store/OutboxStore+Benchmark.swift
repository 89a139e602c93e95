import GRDB
import OutboxModel

extension OutboxStore {
    /// Fills the table with `count` finished commands in large transactions, for benchmarks
    /// that show finished rows do not slow claiming. Not for production use.
    public func insertFinishedForBenchmark(count: Int, now: EpochMillis) throws {
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, 50_000)
            try write { db in
                try db.execute(
                    sql: """
                        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                        INSERT INTO outbox (command_key, kind, payload)
                        SELECT lower(hex(randomblob(16))), 'async_pair_request', '{"TerminalTagCode":"DONE"}' FROM n
                        """, arguments: [chunk])
                try db.execute(
                    sql: "UPDATE outbox SET state = 'succeeded', finished_at = ? WHERE state = 'pending'",
                    arguments: [now])
            }
            remaining -= chunk
        }
    }
}
