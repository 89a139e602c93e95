/// Where a command is in its life; the `outbox.state` column.
public enum CommandState: String, CaseIterable, Sendable, Hashable, Codable {
    /// Waiting to be looked at (sent, resent, reconciled) at `due_at`.
    case pending
    /// Claimed by a worker holding a lease.
    case inFlight = "in_flight"
    /// Paywall did what was asked (or had already done it).
    case succeeded
    /// Paywall refused it, or it failed validation and was never sent.
    case failed
    /// Its deadline passed before it could be delivered.
    case expired
    /// Withdrawn before it was ever sent (a cancel or rollback of an unsent command), never
    /// sent to Paywall. A sale revoked at Paywall by a rollback stays `succeeded`; the
    /// rollback's own outcome says so.
    case revoked
    /// The retry budget ran out.
    case dead
    /// An operator discarded it.
    case discarded

    /// Whether the command is finished in its current generation.
    public var isFinal: Bool {
        switch self {
        case .pending, .inFlight: false
        default: true
        }
    }

    /// The final states, as the inbox `outcome` names them.
    public static let finalStates: [CommandState] = allCases.filter(\.isFinal)
}

/// A final outcome, as written to the inbox.
public enum FinalOutcome: String, CaseIterable, Sendable, Hashable, Codable {
    case succeeded, failed, expired, revoked, dead, discarded

    /// The outbox state a command ends in with this outcome.
    public var state: CommandState { CommandState(rawValue: rawValue)! }
}
