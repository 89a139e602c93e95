import Foundation
import GRDB
import OutboxModel
import OutboxStore

/// The "raw SQLite" reference: how fast the same SQLite, through GRDB in this process, claims and
/// completes commands in batches, with no HTTP and no worker logic. What a worker that batched
/// its claims and group-committed its outcomes could approach.
enum RawSQLiteReference {
    struct Result {
        var commands: Int
        var seconds: Double
        var cpuSeconds: Double
        var rate: Double { Double(commands) / seconds }
        var cpuPerCommandMillis: Double { 1_000 * cpuSeconds / Double(commands) }
    }

    /// A table of the outbox's columns with only the claim index (no trigger, no CHECK), and an
    /// inbox of the same shape as ours. Claim: `UPDATE … RETURNING` of up to `batch` due rows in
    /// one transaction; complete: per row, finish it and insert its outcome row, one transaction
    /// per batch. synchronous=NORMAL, WAL, as the worker runs.
    static func sameShape(directory: String, count: Int, batch: Int) throws -> Result {
        let path = "\(directory)/raw-\(UUID().uuidString.prefix(8)).sqlite"
        defer { removeDatabase(path) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY, command_key TEXT NOT NULL UNIQUE COLLATE NOCASE, kind TEXT NOT NULL,
                        payload TEXT NOT NULL, sale_key TEXT COLLATE NOCASE, payment_request_id TEXT COLLATE NOCASE,
                        not_before INTEGER, deadline INTEGER, created_at INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending', generation INTEGER NOT NULL DEFAULT 1,
                        attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL DEFAULT 0,
                        needs_reconcile INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_expires_at INTEGER,
                        last_error TEXT, paywall_payment_request_id TEXT COLLATE NOCASE, accepted_at INTEGER,
                        finished_at INTEGER, updated_at INTEGER);
                    CREATE INDEX outbox_due ON outbox (due_at, id) WHERE state = 'pending';
                    CREATE TABLE inbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL,
                        command_key TEXT NOT NULL COLLATE NOCASE, kind TEXT NOT NULL, generation INTEGER NOT NULL,
                        event TEXT NOT NULL, outcome TEXT, payment_request_id TEXT COLLATE NOCASE,
                        raw_response TEXT, http_status INTEGER, created_at INTEGER NOT NULL);
                    """)
        }
        let now = SystemWallClock().now()
        try pool.write { db in
            let insert = try db.makeStatement(
                sql: "INSERT INTO outbox (command_key, kind, payload, deadline, created_at) VALUES (?, 'async_sale', ?, ?, ?)")
            for _ in 0..<count {
                let key = UUID().uuidString.lowercased()
                try insert.execute(arguments: [key, saleJSON(key), now + 7_200_000, now])
            }
        }
        let cpuBefore = processCPUSeconds()
        let start = ContinuousClock.now
        var done = 0
        while true {
            let now = SystemWallClock().now()
            let claimed = try pool.write { db in
                try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            UPDATE outbox SET state = 'in_flight', lease_owner = ?, lease_expires_at = ?, updated_at = ?
                             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ?
                                           ORDER BY due_at, id LIMIT ?)
                            RETURNING id, command_key, kind, generation, payload
                            """),
                    arguments: ["raw", now + 60_000, now, now, batch]
                ).map { (id: $0[0] as Int64, key: $0[1] as String, kind: $0[2] as String, generation: $0[3] as Int) }
            }
            if claimed.isEmpty { break }
            try pool.write { db in
                let finish = try db.cachedStatement(
                    sql: """
                        UPDATE outbox SET state = 'succeeded', attempts = attempts + 1, lease_owner = NULL,
                                          lease_expires_at = NULL, finished_at = ?, updated_at = ?
                         WHERE id = ? AND state = 'in_flight' AND lease_owner = ?
                        """)
                let outcome = try db.cachedStatement(
                    sql: """
                        INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, payment_request_id,
                                           raw_response, http_status, created_at)
                        VALUES (?, ?, ?, ?, 'outcome', 'succeeded', ?, ?, 200, ?)
                        """)
                for command in claimed {
                    try finish.execute(arguments: [now, now, command.id, "raw"])
                    try outcome.execute(arguments: [
                        command.id, command.key, command.kind, command.generation,
                        "7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c", StandInAnswers.command, now,
                    ])
                }
            }
            done += claimed.count
        }
        return Result(commands: done, seconds: (ContinuousClock.now - start).seconds, cpuSeconds: processCPUSeconds() - cpuBefore)
    }

    /// Our own store on our schema (all triggers and indexes), in this process: `claim` and
    /// `recordEach` of `batch` at a time, with the attempt and inbox rows the worker writes.
    static func ourStore(directory: String, count: Int, batch: Int, path existing: String? = nil) throws -> Result {
        let path = existing ?? "\(directory)/store-\(UUID().uuidString.prefix(8)).sqlite"
        defer { if existing == nil { removeDatabase(path) } }
        let store = try OutboxStore(OutboxStoreConfiguration(path: path))
        if existing == nil {
            for _ in 0..<count {
                let key = UUID().uuidString.lowercased()
                _ = try store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: saleJSON(key)))
            }
        }
        let cpuBefore = processCPUSeconds()
        let start = ContinuousClock.now
        var done = 0
        while true {
            let now = SystemWallClock().now()
            let claimed = try store.claim(owner: "raw", now: now, limit: batch, leaseMillis: 60_000)
            if claimed.isEmpty { break }
            _ = try store.recordEach(
                claimed.map { command in
                    [CommandUpdate(
                        commandID: command.id, precondition: .leasedBy("raw"),
                        attempt: AttemptRecord(startedAt: now, durationMillis: 1, httpStatus: 200, outcome: "succeeded"),
                        countsAsAttempt: true, next: .finish(InboxOutcome(.succeeded)))]
                }, worker: "raw", now: now)
            done += claimed.count
        }
        return Result(commands: done, seconds: (ContinuousClock.now - start).seconds, cpuSeconds: processCPUSeconds() - cpuBefore)
    }

    static func saleJSON(_ key: String) -> String {
        #"{"TerminalTagCode":"BENCH-1","MerchantUniqueCode":"\#(key)","Amount":22.10,"CurrencyId":1,"Products":[{"Name":"Bench","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}"#
    }
}

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// CPU seconds (user + system) of this whole process.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
