import GRDB
import OutboxModel

/// What the attempt history says about a command's sends, across every generation: what the
/// reconcile rules need to decide whether "Paywall does not have it" is proof.
public struct SendHistory: Sendable, Hashable {
    /// The first moment a send may have left (nil: never sent).
    public var firstSendAt: EpochMillis?
    /// The last moment a send may have left: the latest send's start plus its duration (a send
    /// whose worker died has no duration: its start).
    public var lastSendAt: EpochMillis?
    /// Whether Paywall ever answered that it already has this MerchantUniqueCode.
    public var duplicateAnswered: Bool
    /// Sends that may have left.
    public var sends: Int

    /// Creates a history.
    public init(firstSendAt: EpochMillis? = nil, lastSendAt: EpochMillis? = nil, duplicateAnswered: Bool = false, sends: Int = 0) {
        self.firstSendAt = firstSendAt
        self.lastSendAt = lastSendAt
        self.duplicateAnswered = duplicateAnswered
        self.sends = sends
    }
}

extension OutboxStore {
    /// The send history of command `id` (every generation).
    public func sendHistory(commandID id: Int64) throws -> SendHistory {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT min(started_at), max(started_at + coalesce(duration_ms, 0)),
                                   max(outcome = 'already_done' AND error = 'duplicate_merchant_unique_code'),
                                   count(*)
                              FROM attempt WHERE outbox_id = ? AND request = 'send'
                            """),
                    arguments: [id])
            else { return SendHistory() }
            var reader = SafeRowReader(row, columns: "first, last, duplicate, sends")
            return SendHistory(
                firstSendAt: reader.optionalWorkerTime(0), lastSendAt: reader.optionalWorkerTime(1),
                duplicateAnswered: (reader.optionalInteger(2) ?? 0) != 0, sends: reader.count(3))
        }
    }
}
