import OutboxModel

/// What the `outbox` CLI asks of an outbox database: the operator's queries and repairs. One
/// contract, several engines: ``OutboxStore`` (a SQLite file) and the PostgreSQL store
/// (`OutboxPostgres`) implement it, and `OperatorStoreContractTests` holds every engine to the
/// same answers (every repair verb and its audit row, the refusals, the queries).
///
/// Repairs never trust what the operator saw: each re-checks the command's state in its own
/// transaction (a worker may have claimed it since) and throws ``RepairError`` with the command
/// left exactly as it was. Every change writes an `audit` row in the same transaction.
///
/// Times are epoch milliseconds from the caller's clock. On PostgreSQL that clock must be the
/// database server's (the CLI reads it through `PostgresServerClock`), the one every worker keeps
/// leases and due times by.
///
/// Errors: ``RepairError`` for a refused repair, ``OutboxStoreError`` for the database
/// (`busy` when a lock was not granted in time, `schemaTooOld`/`schemaTooNew`, `rejected` when a
/// schema rule refused a row, `sqlite`/`postgres` for anything else).
public protocol OperatorStore: AnyObject, Sendable {
    /// Where the database is, for messages (never a secret).
    var location: String { get }

    /// The database's schema version (SQLite `user_version`; PostgreSQL `schema_version`).
    func schemaVersion() async throws -> Int

    // MARK: Queries

    /// One command by row id, or nil.
    func command(id: Int64) async throws -> OutboxCommand?
    /// Commands `reference` may mean: a row id, else a command key or PaymentRequestId (either
    /// column) exact or as a prefix, case-insensitive; at most `limit`, by id.
    func find(reference: String, limit: Int) async throws -> [OutboxCommand]
    /// Commands matching `filter`, newest first.
    func list(_ filter: CommandFilter) async throws -> [OutboxCommand]
    /// A command with its attempts, inbox rows and related commands (its sale, the sale's
    /// follow-ups), or nil.
    func detail(id: Int64) async throws -> CommandDetail?
    /// Inbox rows after `cursor`, in id order, at most `limit`.
    func inbox(after cursor: Int64, limit: Int) async throws -> [InboxRow]
    /// The overview: counts by state and kind, the oldest unfinished command, leases by owner,
    /// failures finished since `troubleSince`, what is due at `now`.
    func overview(now: EpochMillis, troubleSince: EpochMillis) async throws -> QueueOverview
    /// Pending commands the worker rescheduled because they wait on something (`last_error`
    /// starting `waiting:`): how many, and the first `limit` by due time.
    func waitingCommands(limit: Int) async throws -> (total: Int, commands: [OutboxCommand])
    /// Audit rows, newest first; only those about `outboxID` when given.
    func auditEntries(outboxID: Int64?, limit: Int) async throws -> [AuditRow]
    /// Every worker's status row, by worker id.
    func workerStatuses() async throws -> [WorkerStatusRow]
    /// Followed payments by state.
    func followSummary() async throws -> FollowSummary
    /// One poll of `inspect list --follow`, read in one snapshot.
    func listFollowSnapshot(afterInbox cursor: Int64?, limit: Int) async throws -> ListFollowSnapshot
    /// The commands a bulk repair's `selection` matches, by id.
    func repairCandidates(_ selection: RepairSelection) async throws -> [OutboxCommand]
    /// The `attempt.outcome` values of `command`'s current generation, oldest first.
    func attemptOutcomes(of command: OutboxCommand) async throws -> [String]

    // MARK: Repairs

    /// A dead, expired or failed command pending again as a new generation, reconcile-first when
    /// its last send may have reached Paywall (``OutboxStore/retryNeedsReconcile(attemptOutcomes:lastError:wasMarked:)``).
    func retry(id: Int64, actor: String, now: EpochMillis, deadline: RetryDeadline, note: String?) async throws
        -> RetryResult
    /// A pending command nobody holds ends `discarded` with its inbox outcome; refused in flight,
    /// finished, or (unless `force`) awaiting reconciliation.
    func discard(id: Int64, actor: String, now: EpochMillis, force: Bool, note: String?) async throws -> DiscardResult
    /// Deletes commands finished before `cutoff` (not a sale an unfinished follow-up names) with
    /// their attempts and follows, and their inbox rows only with `includeInbox`, in batches of
    /// `batchSize`, each its own transaction, with one audit row kept equal to what is deleted.
    /// `dryRun` only counts. `onBatch` gets the totals after each committed batch.
    func purge(
        finishedBefore cutoff: EpochMillis, includeInbox: Bool, dryRun: Bool, actor: String, now: EpochMillis,
        batchSize: Int, onBatch: (@Sendable (PurgeResult) -> Void)?
    ) async throws -> PurgeResult
    /// Queues `command` as an operator, with an `enqueue` audit row when it was inserted; the
    /// existing row's id when its key is already queued. The schema's producer refusals apply
    /// (``OutboxStoreError/Code/rejected``).
    func enqueue(_ command: NewCommand, actor: String, now: EpochMillis) async throws -> EnqueueResult
}

/// ``OutboxStore`` is the SQLite engine of the contract: its synchronous methods are the
/// implementation (an operator's command runs one at a time, off any worker's threads).
extension OutboxStore: OperatorStore {}
