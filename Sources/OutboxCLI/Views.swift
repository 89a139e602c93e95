import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

// The `--json` shapes. Keys are snake_case and sorted; times are UTC ISO-8601 strings with
// milliseconds; an optional value that is absent is left out (jq reads it as null).
// docs/operator-guide.md documents each shape. Adding a
// key is a compatible change; renaming or removing one is not.

/// A command, as `inspect list` and `inspect show` print it.
public struct CommandJSON: Codable, Sendable, Hashable {
    public var id: Int64
    public var command_key: String
    public var kind: String
    public var state: String
    public var terminal: String?
    public var generation: Int
    public var attempts: Int
    public var created_at: String
    public var age_ms: Int64
    public var due_at: String
    public var not_before: String?
    public var deadline: String?
    public var finished_at: String?
    public var needs_reconcile: Bool
    public var lease_owner: String?
    public var lease_expires_at: String?
    public var last_error: String?
    public var sale_key: String?
    public var payment_request_id: String?
    public var paywall_payment_request_id: String?
    public var accepted_at: String?
    /// Columns whose stored value cannot be used ("payload: BLOB of 4 bytes that is not UTF-8
    /// text"); empty for every row the schema accepts. Such a value is shown as a placeholder.
    public var unreadable: [String]

    /// Builds the shape from a store row.
    public init(_ command: OutboxCommand, now: EpochMillis) {
        id = command.id
        command_key = command.commandKey
        unreadable = command.defects.map(\.description)
        kind = command.kindName
        state = command.state.rawValue
        terminal = command.terminal
        generation = command.generation
        attempts = command.attempts
        created_at = Format.iso(command.createdAt)
        age_ms = now - command.createdAt
        due_at = Format.iso(command.dueAt)
        not_before = command.notBefore.map(Format.iso)
        deadline = command.deadline.map(Format.iso)
        finished_at = command.finishedAt.map(Format.iso)
        needs_reconcile = command.needsReconcile
        lease_owner = command.leaseOwner
        lease_expires_at = command.leaseExpiresAt.map(Format.iso)
        last_error = command.lastError
        sale_key = command.saleKey
        payment_request_id = command.paymentRequestId
        paywall_payment_request_id = command.paywallPaymentRequestId
        accepted_at = command.acceptedAt.map(Format.iso)
    }
}

/// `outbox inspect --json`.
public struct OverviewJSON: Codable, Sendable, Hashable {
    public struct Count: Codable, Sendable, Hashable {
        public var state: String
        public var kind: String
        public var count: Int
    }
    public struct Oldest: Codable, Sendable, Hashable {
        public var id: Int64
        public var command_key: String
        public var kind: String
        public var state: String
        public var created_at: String
        public var age_ms: Int64
        public var attempts: Int
        public var last_error: String?
    }
    public struct Waiting: Codable, Sendable, Hashable {
        public var total: Int
        public var commands: [WaitingCommand]
    }
    public struct WaitingCommand: Codable, Sendable, Hashable {
        public var id: Int64
        public var command_key: String
        public var kind: String
        public var reason: String
        public var due_at: String
    }
    public struct Lease: Codable, Sendable, Hashable {
        public var owner: String
        public var count: Int
        public var earliest_expiry: String
        public var expired: Bool
    }
    public struct Trouble: Codable, Sendable, Hashable {
        public var since: String
        public var dead: Int
        public var expired: Int
        public var failed: Int
    }
    public struct Worker: Codable, Sendable, Hashable {
        public var worker: String
        /// running | paused | stopping | stopped | gone (no heartbeat for `stale_after_ms`).
        public var status: String
        /// The state the worker last wrote (a gone worker's says what it was doing then).
        public var reported_state: String
        public var heartbeat_at: String
        /// How old the last heartbeat is.
        public var heartbeat_age_ms: Int64
        public var started_at: String
        /// Why dispatch is paused: only while `status` is paused (never for a gone worker).
        public var pause_reason: String?
        public var paused_since: String?
        public var next_probe_at: String?
        /// The pause reason the worker last wrote, whatever its status now.
        public var reported_pause_reason: String?
        public var in_flight: Int
        public var checkpoint_at: String?
        public var wal_pages: Int?
        /// The `-wal` file and the database file in bytes at its last heartbeat.
        public var wal_bytes: Int64?
        public var db_bytes: Int64?
        /// What about storage needs an operator (a WAL that stays large, failing writes).
        public var storage_problem: String?
    }
    public struct Dispatch: Codable, Sendable, Hashable {
        /// running | paused | no_worker
        public var status: String
        public var reasons: [String]
        public var next_probe_at: String?
    }

    public var database: String
    public var schema_version: Int
    public var now: String
    public var counts: [Count]
    public var totals: [String: Int]
    public var oldest_unfinished: Oldest?
    public var due_now: Int
    public var next_retry_at: String?
    public var awaiting_reconcile: Int
    public var waiting: Waiting
    public var leases: [Lease]
    public var last_24h: Trouble
    /// Worker rows silent for at most `hide_after_ms`.
    public var workers: [Worker]
    /// Worker rows left out because their last heartbeat is older than `hide_after_ms`.
    public var hidden_workers: Int
    public var stale_after_ms: Int64
    public var hide_after_ms: Int64
    public var dispatch: Dispatch
    /// Payments followed to their final status (schema 006); absent on an older database.
    public struct Payments: Codable, Sendable, Hashable {
        /// Activities still followed.
        public var following: Int
        /// When the oldest of them began.
        public var oldest_started_at: String?
        public var oldest_age_ms: Int64?
        /// Activities that reached the follow horizon without a final status.
        public var unresolved: Int
    }
    public var payments: Payments?
}

/// One attempt in `inspect show --json`.
public struct AttemptJSON: Codable, Sendable, Hashable {
    public var id: Int64
    public var generation: Int
    public var worker: String?
    public var started_at: String
    public var duration_ms: Int64?
    public var http_status: Int?
    public var outcome: String
    public var error_code: Int?
    public var error: String?
}

/// One inbox row in `inspect show --json`.
public struct InboxJSON: Codable, Sendable, Hashable {
    public var id: Int64
    public var generation: Int
    public var event: String
    public var outcome: String?
    public var reason: String?
    public var error_code: Int?
    public var message: String?
    public var client_message: String?
    public var payment_request_id: String?
    public var payment_request_activity_id: String?
    public var terminal_pair_id: String?
    public var payment_status_id: Int?
    /// JSON object text, personal data masked unless --reveal.
    public var result: String?
    /// As received, personal data masked unless --reveal.
    public var raw_response: String?
    public var http_status: Int?
    public var created_at: String
    /// `payment_status` rows (schema 006): `sale` or `cancel`.
    public var activity: String? = nil
    /// `payment_status` rows: the status's S1 name.
    public var status_name: String? = nil
    /// `payment_status` rows: `inquiry`, `callback` or `horizon`.
    public var source: String? = nil
    /// `payment_status` rows: whether it is the activity's final status.
    public var final: Bool? = nil
}

/// One audit row.
public struct AuditJSON: Codable, Sendable, Hashable {
    public var id: Int64
    public var at: String
    public var actor: String
    public var action: String
    public var outbox_id: Int64?
    /// JSON object text.
    public var detail: String?
}

/// `outbox inspect show X --json`.
public struct ShowJSON: Codable, Sendable, Hashable {
    public var command: CommandJSON
    /// The payload as JSON text, member order and numbers as written; personal data masked
    /// unless --reveal.
    public var payload: String
    public var masked: Bool
    /// Every attempt by classification (`transient`, `unknown`, ...); `attempts` lists them all.
    public var attempt_counts: [String: Int]
    public var attempts: [AttemptJSON]
    public var related: [CommandJSON]
    public var inbox: [InboxJSON]
    public var audit: [AuditJSON]
}

/// `outbox inspect list --json`.
public struct ListJSON: Codable, Sendable, Hashable {
    public var commands: [CommandJSON]
    public var limit: Int
    /// True when `limit` rows came back (there may be more).
    public var truncated: Bool
}

/// Errors with `--json`: also printed on stdout so a script reading JSON gets an object.
public struct ErrorJSON: Codable, Sendable, Hashable {
    public struct Body: Codable, Sendable, Hashable {
        public var status: Int32
        public var message: String
        public var details: [String]
    }
    public var error: Body
}

/// `outbox retry --json`, `discard`, `purge`, `migrate`, `enqueue`: what was done.
public struct ActionJSON: Codable, Sendable, Hashable {
    public var action: String
    public var done: Bool
    public var id: Int64?
    public var command_key: String?
    public var kind: String?
    public var generation: Int?
    public var needs_reconcile: Bool?
    public var deadline: String?
    public var inbox_id: Int64?
    public var inserted: Bool?
    public var purge: PurgeResultJSON?
    public var migration: MigrationJSON?
    /// A retry or discard by filter.
    public var bulk: BulkResultJSON?

    public init(action: String, done: Bool) {
        self.action = action
        self.done = done
    }
}

public struct PurgeResultJSON: Codable, Sendable, Hashable {
    public var finished_before: String
    public var commands: Int
    public var attempts: Int
    public var inbox: Int
    public var include_inbox: Bool
    public var kept_for_follow_ups: Int
    public var dry_run: Bool
}

public struct MigrationJSON: Codable, Sendable, Hashable {
    public var from: Int
    public var to: Int
    public var applied: [Int]
    public var dry_run: Bool
}

/// `outbox retry` / `outbox discard` by filter, `--json`.
public struct BulkResultJSON: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        public var id: Int64
        public var reason: String
    }
    public var dry_run: Bool
    /// Commands the filters matched and the repair would act on.
    public var matched: Int
    /// With --dry-run: the matched ids; otherwise the ids repaired.
    public var ids: [Int64]
    /// Discard: matched by the filters but left alone because they may have reached Paywall or
    /// a worker holds them.
    public var left_alone: [Entry]
    /// Changed by a worker between the selection and the repair, and so not repaired.
    public var skipped: [Entry]
}
