import GRDB
import OutboxModel

extension OutboxStore {
    /// Queues a command exactly as a producer would (`INSERT ... ON CONFLICT (command_key) DO
    /// NOTHING`); the database applies every contract rule. Re-queuing a key is harmless. A
    /// worker on this same store (the demo) takes the change watcher's next burst for news, as
    /// it would another process's INSERT (``CommitWatch``).
    public func enqueue(_ command: NewCommand) throws -> EnqueueResult {
        try write { db in
            // Inside the write: the burst its commit causes comes after, and a claim that burst
            // brings waits for this write to end (one writer connection).
            commitWatch.withLock { $0.producerWrite = true }
            let inserted = try Self.insertUnlessKeyTaken {
                try Int64.fetchOne(
                    db.cachedStatement(
                        sql: """
                            INSERT INTO outbox (command_key, kind, payload, sale_key, payment_request_id, not_before,
                                                deadline, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?,
                                    coalesce(?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)))
                            ON CONFLICT (command_key) DO NOTHING
                            RETURNING id
                            """),
                    arguments: [
                        command.commandKey, command.kindName, command.payload, command.saleKey,
                        command.paymentRequestId, command.notBefore, command.deadline, command.createdAt,
                    ])
            }
            if let inserted { return .inserted(inserted) }
            let existing = try Int64.fetchOne(
                db, sql: "SELECT id FROM outbox WHERE command_key = ?", arguments: [command.commandKey])
            guard let existing else {
                throw OutboxStoreError(.sqlite, "insert of \(command.commandKey) neither inserted nor found a row")
            }
            return .alreadyQueued(existing)
        }
    }

    /// Runs an INSERT of one command; nil when its key is already taken. Schema 5's
    /// `outbox_one_command_per_key` ignores the same command again and refuses a different one
    /// under a taken key (`outbox: command_key is already queued for a different command`): both
    /// end here as nil, and the caller looks up the row that holds the key (the CLI then says
    /// what differs).
    static func insertUnlessKeyTaken(_ insert: () throws -> Int64?) throws -> Int64? {
        do {
            return try insert()
        } catch let error as DatabaseError
            where error.message?.hasPrefix("outbox: command_key is already queued for a different command") == true
        {
            return nil
        }
    }
}
