/// Every metric the worker serves at `/metrics`, once: name, type, labels and help text. The
/// Prometheus registry takes its `# HELP` lines from here, and a test holds docs/monitoring.md to
/// this list. Labels are bounded sets (states, kinds, outcomes, reasons, operations,
/// classifications, credentials); no command key, id or free text is ever a label value.
public struct MetricDefinition: Sendable, Hashable {
    /// Prometheus metric types used here.
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    /// The metric name (`_total` for counters, units in the name).
    public var name: String
    /// Its type.
    public var kind: Kind
    /// Label names, in the order they are written.
    public var labels: [String]
    /// The `# HELP` text.
    public var help: String
}

extension MetricDefinition {
    // MARK: From the database (read at scrape)

    /// Commands by state and kind.
    public static let commands = Self(
        name: "outbox_commands", kind: .gauge, labels: ["state", "kind"],
        help:
            "Commands in the outbox by state (pending, in_flight, and the failed, expired and dead that wait for an operator) and kind, read from the database at scrape.")
    /// Lag.
    public static let lag = Self(
        name: "outbox_lag_seconds", kind: .gauge, labels: [],
        help:
            "How long the longest-waiting due pending command has been due, in seconds (0 when nothing is due): how far behind dispatch is.")
    /// Reconcile backlog.
    public static let reconcileBacklog = Self(
        name: "outbox_reconcile_backlog_commands", kind: .gauge, labels: [],
        help:
            "Unfinished commands whose earlier send may have reached Paywall (needs_reconcile): each is looked up at Paywall before any resend.")
    /// Database file size.
    public static let databaseSize = Self(
        name: "outbox_database_size_bytes", kind: .gauge, labels: [],
        help: "Size of the outbox database file in bytes, read at scrape.")
    /// WAL size.
    public static let walSize = Self(
        name: "outbox_wal_size_bytes", kind: .gauge, labels: [],
        help: "Size of the database's -wal file in bytes, read at scrape (the worker checkpoints every 10 s).")
    /// Failed database reads at scrape.
    public static let censusFailures = Self(
        name: "outbox_census_failures_total", kind: .counter, labels: [],
        help:
            "Scrapes whose read of the database failed; the database gauges then keep their previous values.")

    // MARK: This worker's traffic (counted as it happens)

    /// Final outcomes.
    public static let outcomes = Self(
        name: "outbox_outcomes_total", kind: .counter, labels: ["kind", "outcome", "reason"],
        help:
            "Final outcomes this worker recorded, by kind, outcome and inbox reason (reason none for a plain success; already_done for any already_done:<why>).")
    /// Paywall requests.
    public static let requests = Self(
        name: "outbox_paywall_requests_total", kind: .counter, labels: ["operation", "classification"],
        help:
            "Requests this worker sent to Paywall, by operation (a command kind, payment_inquiry, payment_list, payment_activities) and how the answer was classified.")
    /// Paywall request latency.
    public static let requestDuration = Self(
        name: "outbox_paywall_request_duration_seconds", kind: .histogram, labels: ["operation", "classification"],
        help: "Time from sending a request to Paywall to its classified answer (or failure), in seconds.")

    // MARK: This worker's dispatch (read at scrape)

    /// Breaker state, one-hot.
    public static let breakerState = Self(
        name: "outbox_breaker_state", kind: .gauge, labels: ["state"],
        help:
            "1 for the dispatch circuit breaker's current state (closed, open, half_open, ramping), 0 for the others.")
    /// Pause reason, one-hot.
    public static let paused = Self(
        name: "outbox_dispatch_paused", kind: .gauge, labels: ["reason"],
        help:
            "1 while dispatch is paused for this reason (connectivity such as connection_refused or dns_failure, credentials_refused, ...), 0 once it is not.")
    /// Pause length.
    public static let pausedSeconds = Self(
        name: "outbox_dispatch_paused_seconds", kind: .gauge, labels: [],
        help: "How long dispatch has been paused, in seconds (0 while it is not).")
    /// Retry-After holds.
    public static let holds = Self(
        name: "outbox_retry_after_hold_active", kind: .gauge, labels: ["credentials"],
        help:
            "1 while Paywall's Retry-After holds every request with these credentials (private or public), from this worker or another on the database.")
    /// Leases held.
    public static let leases = Self(
        name: "outbox_leases_held", kind: .gauge, labels: [],
        help: "Commands this worker holds a lease on (claimed and being worked on).")
    /// Loop age.
    public static let loopAge = Self(
        name: "outbox_dispatch_loop_age_seconds", kind: .gauge, labels: [],
        help:
            "Seconds since the dispatch loop last took an event (it takes one at least every idle tick, 500 ms); /health fails when it grows stale.")
    /// Version.
    public static let info = Self(
        name: "outbox_worker_info", kind: .gauge, labels: ["version"],
        help: "Always 1; the version label is the worker's --version.")

    // MARK: Issue 12 (declared; wired when "Did the customer pay?" lands)

    /// Callbacks received.
    public static let callbacksReceived = Self(
        name: "outbox_callbacks_received_total", kind: .counter, labels: [],
        help: "Paywall payment callbacks received.")
    /// Callbacks verified.
    public static let callbacksVerified = Self(
        name: "outbox_callbacks_verified_total", kind: .counter, labels: [],
        help: "Callbacks whose Hash verified.")
    /// Callbacks refused.
    public static let callbacksRefused = Self(
        name: "outbox_callbacks_refused_total", kind: .counter, labels: [],
        help: "Callbacks refused: a Hash no configured key made, no key for its HashKeyType, a malformed or oversized body.")
    /// Payments followed.
    public static let paymentsFollowed = Self(
        name: "outbox_payments_followed", kind: .gauge, labels: [],
        help: "Payments whose status the worker is following.")

    /// Every metric, in the order docs/monitoring.md lists them.
    public static let all: [MetricDefinition] = [
        commands, lag, reconcileBacklog, databaseSize, walSize, censusFailures, outcomes, requests, requestDuration,
        breakerState, paused, pausedSeconds, holds, leases, loopAge, info, callbacksReceived, callbacksVerified,
        callbacksRefused, paymentsFollowed,
    ]

    /// The definition named `name`.
    public static func named(_ name: String) -> MetricDefinition? { all.first { $0.name == name } }

    /// The latency histogram's buckets: 5 ms to the 30 s default request timeout, and 60 s.
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]
}
