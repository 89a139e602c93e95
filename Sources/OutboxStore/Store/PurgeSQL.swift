/// The purge's selections, one text for both engines (standard SQL over the same columns); each
/// engine names its cutoff parameter its own way (`:cutoff` in SQLite, `$1` in PostgreSQL).
public enum PurgeSQL {
    /// An unfinished follow-up names the finished command `o` (its sale key, or the
    /// PaymentRequestId Paywall gave it): the worker still needs that row to act.
    static let namedByUnfinishedFollowUp = """
        EXISTS (SELECT 1 FROM outbox AS f
                 WHERE f.state IN ('pending', 'in_flight')
                   AND (f.sale_key = o.command_key
                        OR (o.paywall_payment_request_id IS NOT NULL
                            AND f.payment_request_id = o.paywall_payment_request_id)))
        """

    /// Finished (any final state) and created before `cutoff`.
    static func finishedBefore(_ cutoff: String) -> String {
        "o.created_at < \(cutoff) AND o.finished_at < \(cutoff) AND o.state NOT IN ('pending', 'in_flight')"
    }

    /// What makes the command `o` eligible for purging: finished before the cutoff, not named by
    /// an unfinished follow-up, not a payment still being followed.
    public static func conditions(cutoff: String) -> String {
        """
        \(finishedBefore(cutoff))
           AND NOT \(namedByUnfinishedFollowUp)
           AND NOT EXISTS (SELECT 1 FROM payment_follow AS p WHERE p.outbox_id = o.id AND p.state = 'following')
        """
    }

    /// The ids of the commands eligible for purging (``conditions(cutoff:)``). No ORDER BY or LIMIT.
    public static func eligible(cutoff: String) -> String {
        "SELECT o.id FROM outbox AS o WHERE \(conditions(cutoff: cutoff))"
    }

    /// How many finished commands the purge keeps because an unfinished follow-up names them.
    public static func keptForFollowUps(cutoff: String) -> String {
        "SELECT count(*) FROM outbox AS o WHERE \(finishedBefore(cutoff)) AND \(namedByUnfinishedFollowUp)"
    }
}
