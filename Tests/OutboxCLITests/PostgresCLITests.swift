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

    @Test("the server's own refusal comes back at once: an unknown database is named, not waited for")
    func unknownDatabase() async throws {
        let database = try await ScratchPostgres.make(prefix: "outbox_cli", migrated: false)
        defer { database.close() }
        let missing = database.url.replacingOccurrences(of: "/outbox_cli_", with: "/nosuch_")
        let started = ContinuousClock.now
        let ran = try await outboxAsync(["inspect"], db: missing)
        #expect(ran.status == ExitStatus.failure.rawValue)
        #expect(ran.stderr.contains("does not exist") && ran.stderr.contains("3D000"), "\(ran.stderr)")
        // Not the 10 s connect timeout (a pool retrying): the probe's answer.
        #expect(ContinuousClock.now - started < .seconds(9))
    }

    @Test("--busy-timeout is PostgreSQL's lock_timeout, 0 giving up at once (PostgreSQL's 0 would wait for ever); inspect cannot write")
    func sessionSettings() {
        let read = Dictionary(uniqueKeysWithValues: GlobalOptions.startupParameters(access: .read, busyTimeoutSeconds: 0))
        #expect(read["lock_timeout"] == "1")
        #expect(read["default_transaction_read_only"] == "on")
        let write = Dictionary(uniqueKeysWithValues: GlobalOptions.startupParameters(access: .write, busyTimeoutSeconds: 2.5))
        #expect(write["lock_timeout"] == "2500")
        #expect(write["default_transaction_read_only"] == nil)
    }

    @Test("a postgres:// URL carrying a password is refused with exit 64 and never printed; an unreadable password file is named")
    func refusals() async throws {
        let secret = "Pw-s3cr3t-4242"
        let withPassword = try await outboxAsync(["inspect"], db: "postgres://outbox:\(secret)@db.example/shop")
        #expect(withPassword.status == ExitStatus.usage.rawValue)
        #expect(!(withPassword.stdout + withPassword.stderr).contains(secret))
        #expect(withPassword.stderr.contains("PGPASSWORD"))
        // Another spelling of the scheme, or a slash missing, is still a URL: refused, never
        // taken for a file name and printed.
        for url in ["POSTGRES://outbox:\(secret)@db.example/shop", "postgres:/outbox:\(secret)@db.example/shop"] {
            let ran = try await outboxAsync(["inspect"], db: url)
            #expect(ran.status == ExitStatus.usage.rawValue, "\(url)")
            #expect(!(ran.stdout + ran.stderr).contains(secret), "\(url)")
        }
        let otherScheme = try await outboxAsync(["inspect"], db: "mysql://outbox:\(secret)@db.example/shop")
        #expect(otherScheme.status == ExitStatus.notFound.rawValue)
        #expect(!(otherScheme.stdout + otherScheme.stderr).contains(secret))
        let unreadable = try await outboxAsync(
            ["inspect"], db: "postgres://outbox@db.example/shop",
            environment: ["OUTBOX_DB_PASSWORD_FILE": "/nonexistent/password"])
        #expect(unreadable.status == ExitStatus.failure.rawValue)
        #expect(unreadable.stderr.contains("/nonexistent/password"))
    }
}
