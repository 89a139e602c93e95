/// What a ``CallbackSink`` did with a verified callback. Every case is answered 200: Paywall has
/// nothing to do again.
public enum CallbackDisposition: String, Sendable, Hashable, CaseIterable {
    /// A new event, now recorded.
    case recorded
    /// This event (``VerifiedCallback/eventKey``) was recorded before; nothing changed.
    case duplicate
    /// Verified, but about a payment this outbox does not know (another system's sale on the same
    /// Paywall account, or a sale whose acceptance is not recorded yet); not recorded.
    case unknownPayment = "unknown_payment"
}

/// Where the listener hands verified callbacks: the seam between receiving (HTTP, verification,
/// counting) and recording (the store). ``CallbackListener`` calls it once per verified delivery,
/// duplicates included, possibly concurrently; the sink is idempotent on
/// ``VerifiedCallback/eventKey``.
///
/// Throwing means "could not record now" (e.g. the database is busy): the listener answers 503
/// so a sender that retries comes back, and counts it. Keep it quick: the sender is waiting.
public protocol CallbackSink: Sendable {
    /// Records `callback` (or recognises it) and says what happened.
    func accept(_ callback: VerifiedCallback) async throws -> CallbackDisposition
}
