import Foundation
import GRDB
import OutboxModel

/// Which commands a bulk repair (`outbox retry` / `outbox discard` by filter) acts on. Every
/// condition given must hold (AND).
public struct RepairSelection: Sendable, Hashable {
    /// Only these states (required: a bulk repair always says which states it means).
    public var states: Set<CommandState>
    /// Only these kind names.
    public var kinds: Set<String>?
    /// For a finished command: the reason of its final inbox outcome, exactly
    /// (`attempts_exhausted`, `deadline_passed`, `validation`, ...). For an unfinished one: its
    /// `last_error` contains this text (case-insensitive), e.g. `unreachable`.
    public var reason: String?
    /// Created before this time (`--older-than`).
    public var createdBefore: EpochMillis?
    /// Only this terminal (TerminalId or TerminalTagCode).
    public var terminal: String?

    /// Creates a selection.
    public init(
        states: Set<CommandState>, kinds: Set<String>? = nil, reason: String? = nil, createdBefore: EpochMillis? = nil,
        terminal: String? = nil
    ) {
        self.states = states
        self.kinds = kinds
        self.reason = reason
        self.createdBefore = createdBefore
        self.terminal = terminal
    }
}

extension OutboxStore {
    /// The commands `selection` matches, oldest first, in one read transaction. The repair
    /// itself then goes one command at a time through ``retry(id:actor:now:deadline:note:)`` or
    /// ``discard(id:actor:now:force:note:)``, each re-checking the command's state in its own
    /// transaction (a worker may have moved it since).
    public func repairCandidates(_ selection: RepairSelection) throws -> [OutboxCommand] {
        guard !selection.states.isEmpty else { return [] }
        var clauses = ["state IN (\(databaseQuestionMarks(count: selection.states.count)))"]
        var arguments = StatementArguments(selection.states.map(\.rawValue).sorted())
        if let kinds = selection.kinds {
            clauses.append("kind IN (\(databaseQuestionMarks(count: kinds.count)))")
            arguments += StatementArguments(kinds.sorted())
        }
        if let terminal = selection.terminal {
            clauses.append("terminal = ?")
            arguments += [terminal]
        }
        if let before = selection.createdBefore {
            clauses.append("created_at < ?")
            arguments += [before]
        }
        if let reason = selection.reason {
            clauses.append(
                """
                ((state IN ('pending', 'in_flight') AND instr(lower(coalesce(last_error, '')), lower(?)) > 0)
                 OR (state NOT IN ('pending', 'in_flight')
                     AND EXISTS (SELECT 1 FROM inbox AS i
                                  WHERE i.outbox_id = outbox.id AND i.generation = outbox.generation
                                    AND i.event = 'outcome' AND i.reason = ?)))
                """)
            arguments += [reason, reason]
        }
        return try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(OutboxCommand.columns) FROM outbox WHERE \(clauses.joined(separator: " AND ")) ORDER BY id",
                arguments: arguments
            ).map(OutboxCommand.init(row:))
        }
    }

    /// Whether a command's current generation may have reached Paywall, so that discarding it
    /// locally would not undo it. Stricter than the single discard's check (which refuses a
    /// command marked `needs_reconcile`), for bulk discards that no one reviews one by one:
    /// marked for reconciliation; accepted by Paywall (a PaymentRequestId or an accepted time);
    /// a send mark (`sending`) or an `unknown` outcome not settled by a later `reconciled`,
    /// `succeeded` or `already_done`; or a lease that ended with its worker gone
    /// (``retryNeedsReconcile(attemptOutcomes:lastError:wasMarked:)``). Pure.
    public static func mayHaveBeenSent(_ command: OutboxCommand, attemptOutcomes: [String]) -> Bool {
        if command.needsReconcile || command.acceptedAt != nil || command.paywallPaymentRequestId != nil { return true }
        if retryNeedsReconcile(attemptOutcomes: attemptOutcomes, lastError: command.lastError, wasMarked: false) {
            return true
        }
        var open = false
        for outcome in attemptOutcomes {
            switch outcome {
            case "unknown", "sending": open = true
            case "reconciled", "succeeded", "already_done": open = false
            default: continue
            }
        }
        return open
    }

    /// The `attempt.outcome` values of `command`'s current generation, oldest first.
    public func attemptOutcomes(of command: OutboxCommand) throws -> [String] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT outcome FROM attempt WHERE outbox_id = ? AND generation = ? ORDER BY id",
                arguments: [command.id, command.generation]
            ).map { row in
                var reader = SafeRowReader(row, columns: "outcome")
                return reader.text(0)
            }
        }
    }
}
