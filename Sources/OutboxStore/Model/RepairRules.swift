import Foundation
import OutboxModel

/// The operator repairs' rules, the same on every engine: when a repair is refused and with
/// which words, what the command's row says afterwards, and what its `audit` row records. Pure;
/// the stores only read the row, ask here, and write what these say (table-tested in
/// `RepairRulesTests`).
public enum RepairRules {
    /// The states a command can be retried from.
    public static let retryable: Set<CommandState> = [.dead, .expired, .failed]

    /// `last_error` of a retried command.
    public static func retriedError(actor: String) -> String { "retried by operator \(actor)" }

    /// `last_error`, inbox message and audit action of a discarded command.
    public static let discardedMessage = "discarded by operator"

    /// Why command `id`, whose `state` column reads `stateName`, cannot be retried; nil when it can.
    public static func retryRefusal(id: Int64, stateName: String) -> RepairError? {
        if let state = CommandState(rawValue: stateName), retryable.contains(state) { return nil }
        return RepairError(
            .wrongState, "command \(id) is \(stateName); only dead, expired or failed commands can be retried")
    }

    /// Why command `id` cannot be discarded; nil when it can. Refused while a worker holds it
    /// (in flight, or any lease owner: it may be sending it right now), when it is not pending,
    /// and, unless `force`, when it awaits reconciliation (its last send may have reached Paywall;
    /// discarding locally would not undo that).
    public static func discardRefusal(
        id: Int64, stateName: String, leaseOwner: String?, needsReconcile: Bool, force: Bool
    ) -> RepairError? {
        if stateName == CommandState.inFlight.rawValue || leaseOwner != nil {
            return RepairError(
                .inFlight,
                "command \(id) is in flight (held by \(leaseOwner ?? "?")); a worker may be sending it right now. "
                    + "Wait for its lease to end and look again")
        }
        guard stateName == CommandState.pending.rawValue else {
            return RepairError(.wrongState, "command \(id) is \(stateName); only pending commands can be discarded")
        }
        if needsReconcile && !force {
            return RepairError(
                .mayHaveBeenSent,
                "command \(id) may already have reached Paywall (it awaits reconciliation); discarding it here "
                    + "would not undo that. Queue a cancel or rollback instead, or discard with --force")
        }
        return nil
    }

    /// No command has row id `id`.
    public static func notFound(id: Int64) -> RepairError { RepairError(.notFound, "no command with id \(id)") }

    /// The refusal when the guarded update found the row changed after it was read.
    public static func changedWhileRetrying(id: Int64) -> RepairError {
        RepairError(.wrongState, "command \(id) changed while retrying it; look again")
    }

    /// The refusal when a worker claimed the command between the read and the guarded update.
    public static func claimedWhileDiscarding(id: Int64) -> RepairError {
        RepairError(.inFlight, "command \(id) was claimed while discarding it; look again")
    }

    /// The command's row before a retry, as read in the repair's transaction.
    public struct RetriedRow: Sendable, Hashable {
        public var stateName: String
        public var generation: Int
        public var attempts: Int64?
        public var lastError: String?
        public var deadline: EpochMillis?
        public var needsReconcile: Bool

        /// Creates the row's facts.
        public init(
            stateName: String, generation: Int, attempts: Int64?, lastError: String?, deadline: EpochMillis?,
            needsReconcile: Bool
        ) {
            self.stateName = stateName
            self.generation = generation
            self.attempts = attempts
            self.lastError = lastError
            self.deadline = deadline
            self.needsReconcile = needsReconcile
        }
    }

    /// What a retry of `row` (with its current generation's attempt outcomes) makes of it:
    /// the result to return and the audit detail to write. Throws ``RepairError`` when refused.
    public static func retry(
        id: Int64, _ row: RetriedRow, attemptOutcomes: [String], deadline: RetryDeadline, note: String?
    ) throws(RepairError) -> (result: RetryResult, audit: [String: AuditValue]) {
        if let refusal = retryRefusal(id: id, stateName: row.stateName) { throw refusal }
        let reconcile = OutboxStore.retryNeedsReconcile(
            attemptOutcomes: attemptOutcomes, lastError: row.lastError, wasMarked: row.needsReconcile)
        let newDeadline: EpochMillis? =
            switch deadline {
            case .keep: row.deadline
            case .at(let time): time
            }
        let result = RetryResult(
            id: id, previousState: CommandState(rawValue: row.stateName) ?? .dead, generation: row.generation + 1,
            needsReconcile: reconcile, deadline: newDeadline)
        let audit: [String: AuditValue] = [
            "previous_state": .string(row.stateName), "previous_generation": .int(row.generation),
            "previous_attempts": row.attempts.map(AuditValue.int64) ?? .null,
            "previous_last_error": .optionalString(row.lastError), "previous_deadline": .optionalInt(row.deadline),
            "generation": .int(row.generation + 1), "deadline": .optionalInt(newDeadline),
            "needs_reconcile": .bool(reconcile), "note": .optionalString(note),
        ]
        return (result, audit)
    }

    /// The audit detail of a discard.
    public static func discardAudit(
        previousState: String, generation: Int, inboxID: Int64, forced: Bool, note: String?
    ) -> [String: AuditValue] {
        [
            "previous_state": .string(previousState), "generation": .int(generation), "inbox_id": .int64(inboxID),
            "forced": .bool(forced), "note": .optionalString(note),
        ]
    }

    /// The audit detail of a purge, kept equal to what has been deleted so far.
    public static func purgeAudit(_ result: PurgeResult, includeInbox: Bool) -> [String: AuditValue] {
        [
            "finished_before": .int64(result.cutoff), "commands": .int(result.commands),
            "attempts": .int(result.attempts), "inbox": .int(result.inbox), "include_inbox": .bool(includeInbox),
            "kept_for_follow_ups": .int(result.keptForFollowUps),
        ]
    }

    /// The audit detail of an operator's enqueue.
    public static func enqueueAudit(_ command: NewCommand) -> [String: AuditValue] {
        ["command_key": .string(command.commandKey), "kind": .string(command.kindName)]
    }

    /// The audit detail of a migration that applied `result.applied`.
    public static func migrateAudit(_ result: MigrationResult) -> [String: AuditValue] {
        [
            "from": .int(result.from), "to": .int(result.to),
            "applied": .string(result.applied.map(String.init).joined(separator: ",")),
        ]
    }
}

/// A value in an audit row's `detail` object.
public enum AuditValue: Sendable, Hashable {
    case string(String), int(Int), int64(Int64), bool(Bool), null

    /// `.string`, or `.null` for nil.
    public static func optionalString(_ value: String?) -> AuditValue { value.map(AuditValue.string) ?? .null }
    /// `.int64`, or `.null` for nil.
    public static func optionalInt(_ value: Int64?) -> AuditValue { value.map(AuditValue.int64) ?? .null }

    var any: Any {
        switch self {
        case .string(let text): text
        case .int(let number): number
        case .int64(let number): number
        case .bool(let flag): flag
        case .null: NSNull()
        }
    }

    /// A JSON object with sorted keys, nulls left out: the `detail` column's text.
    public static func json(_ detail: [String: AuditValue]) -> String {
        var object: [String: Any] = [:]
        for (key, value) in detail {
            if case .null = value { continue }
            object[key] = value.any
        }
        // Strings, numbers and booleans only: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
