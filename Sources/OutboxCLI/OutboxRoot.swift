import ArgumentParser
import OutboxModel

/// `outbox`: the operator's tool for the outbox database.
public struct OutboxRoot: AsyncParsableCommand {
    /// Creates the command (ArgumentParser).
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect and repair the paywall-outbox database while workers run.",
        discussion: """
            Read commands (inspect) open the database read-only and never block workers. Repairs (retry, discard, purge, migrate) ask before acting (or take --yes); every change, enqueue included, leaves an entry in the database's audit table.

            The database is --db, else $OUTBOX_DB, else ./outbox.sqlite: a SQLite file, or a PostgreSQL outbox as postgres://user@host:5432/db (?host=/socket/dir for a Unix socket; ?sslmode=require). The password comes from PGPASSWORD or the first line of the file OUTBOX_DB_PASSWORD_FILE names; a URL carrying one is refused (exit 64). Every command works the same on both.

            Examples:
              outbox inspect                       # the overview
              outbox inspect list --state dead --since 24h
              outbox inspect show 3f2b8c1e         # id, key or PaymentRequestId (prefix)
              outbox retry 42 --yes

            Exit codes:
            \(ExitStatus.helpTable)
            """,
        version: OutboxVersion.current,
        subcommands: [Inspect.self, Retry.self, Discard.self, Purge.self, Migrate.self, Enqueue.self],
        defaultSubcommand: Inspect.self
    )
}
