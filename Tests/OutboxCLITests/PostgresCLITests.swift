import Foundation
import OutboxModel
import OutboxTestSupport
import Testing

@testable import OutboxCLI

/// The `outbox` binary on a PostgreSQL outbox (`--db postgres://…`): the operator's loop from an
/// empty database, through the same binary and the same output shapes as on SQLite.
@Suite("outbox on PostgreSQL", .enabled(if: ScratchPostgres.available))
struct PostgresCLITests {
    @Test("migrate an empty database, queue, list, show, discard, retry and purge: each answers as on SQLite and leaves its audit row")
    func operatorLoop() async throws {
        let database = try await ScratchPostgres.make(prefix: "outbox_cli", migrated: false)
        defer { database.close() }
        let env = ["OUTBOX_DB": database.url]

        let tooOld = try await outboxAsync(["inspect"], db: nil, environment: env)
        #expect(tooOld.status == ExitStatus.schema.rawValue)
        #expect(tooOld.stderr.contains("outbox migrate"))
        let plan = try await outboxAsync(["migrate", "--dry-run", "--json"], db: nil, environment: env)
        #expect(plan.status == 0 && plan.stdout.contains("\"dry_run\" : true"))
        #expect(try await database.number("SELECT count(*) FROM pg_tables WHERE tablename = 'outbox'") == 0)
        let migrated = try await outboxAsync(["migrate", "--yes"], db: nil, environment: env)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(try await database.number("SELECT count(*) FROM audit WHERE action = 'migrate'") == 1)

        let queued = try await outboxAsync(
            ["enqueue", "sale", "--terminal-tag", "STORE1-TILL2", "--amount", "22.10", "--deadline", "2m"], db: nil,
            environment: env)
        #expect(queued.status == 0, "\(queued.stderr)")
        let key = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(GUID.isValid(key))
        // The deadline is two minutes after created_at, both on the server's clock.
        #expect(try await database.number("SELECT deadline - created_at FROM outbox") == 120_000)
        let listed = try await outboxAsync(["inspect", "list", "--json"], db: nil, environment: env)
        #expect(listed.status == 0 && listed.stdout.contains(key))
        let shown = try await outboxAsync(["inspect", "show", String(key.prefix(8))], db: nil, environment: env)
        #expect(shown.status == 0 && shown.stdout.contains("Operator actions (1)"))

        let discarded = try await outboxAsync(["discard", key, "--yes", "--json"], db: nil, environment: env)
        #expect(discarded.status == 0, "\(discarded.stderr)")
        #expect(try await database.number("SELECT count(*) FROM inbox WHERE outcome = 'discarded' AND reason = 'operator'") == 1)
        let again = try await outboxAsync(["discard", key, "--yes"], db: nil, environment: env)
        #expect(again.status == ExitStatus.refused.rawValue)

        // A dead command, as a worker leaves one, retried.
        let second = try await outboxAsync(
            ["enqueue", "sale", "--terminal-tag", "STORE1-TILL3", "--amount", "5.00"], db: nil, environment: env)
        let secondKey = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await database.client.query(
            """
            UPDATE outbox SET state = 'dead', finished_at = outbox_now_ms() - 1000, last_error = 'timed out'
             WHERE command_key = \(secondKey)::citext
            """)
        let retried = try await outboxAsync(["retry", secondKey, "--yes", "--deadline", "5m"], db: nil, environment: env)
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stdout.contains("retried #") && retried.stdout.contains("generation 2"))

        let purge = try await outboxAsync(["purge", "--older-than", "1ms", "--yes", "--json"], db: nil, environment: env)
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(try await database.number("SELECT count(*) FROM outbox") == 1)
        // migrate, two enqueues, discard, retry, purge.
        #expect(try await database.number("SELECT count(*) FROM audit") == 6)
    }

    @Test("a postgres:// URL carrying a password is refused with exit 64 and never printed; an unreadable password file is named")
    func refusals() async throws {
        let secret = "Pw-s3cr3t-4242"
        let withPassword = try await outboxAsync(["inspect"], db: "postgres://outbox:\(secret)@db.example/shop")
        #expect(withPassword.status == ExitStatus.usage.rawValue)
        #expect(!(withPassword.stdout + withPassword.stderr).contains(secret))
        #expect(withPassword.stderr.contains("PGPASSWORD"))
        let unreadable = try await outboxAsync(
            ["inspect"], db: "postgres://outbox@db.example/shop",
            environment: ["OUTBOX_DB_PASSWORD_FILE": "/nonexistent/password"])
        #expect(unreadable.status == ExitStatus.failure.rawValue)
        #expect(unreadable.stderr.contains("/nonexistent/password"))
    }
}
