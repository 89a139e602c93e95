/// Paywall's Physical POS payment status (`PaymentStatusId`, and `PaymentStatus` in command
/// answers), exactly as Paywall numbers it.
///
/// Source: Paywall's status table, `docs/fiziksel-pos/sistem-verileri/odeme-durumu.md` in
/// `paywallone/cursor-config` (API-NOTES S1). A status belongs to one activity of the payment
/// (``PaymentType``: the sale, or a cancel), so ``successful`` on a cancel activity means "the
/// cancel went through", never "paid". A status inside a command's own answer is informative only
/// (Paywall's examples show 4 in a fresh sale's answer): only the inquiry, the payment list, the
/// activities list and callbacks say what a payment is.
public enum PaymentStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    /// 1 — created (Paywall's activities example names it `Generated`). Not taken by the device.
    case created = 1
    /// 2 — sent to the device, not yet taken. A rollback can still work.
    case sentToDevice = 2
    /// 3 — could not be sent to the device. Not taken.
    case couldNotSendToDevice = 3
    /// 4 — successful: final for its activity (a sale paid, a cancel done).
    case successful = 4
    /// 5 — failed: final, not paid (or the cancel did not happen).
    case failed = 5
    /// 6 — unknown: not final; ask again.
    case unknown = 6
    /// 7 — notification not sent (Firebase). Not taken.
    case notificationNotSentFirebase = 7
    /// 8 — notification not sent (socket). Not taken.
    case notificationNotSentSocket = 8
    /// 9 — notification sent (Firebase): delivered as a push, not processed. Not taken.
    case notificationSentFirebase = 9
    /// 10 — notification sent (socket). Not taken.
    case notificationSentSocket = 10
    /// 11 — taken into processing by the device: a rollback will be refused; only a cancel helps.
    case takenByDevice = 11
    /// 12 — withdrawn: the sale, cancel or refund was rolled back. Final.
    case rolledBack = 12

    /// What a status tells the worker (API-NOTES S1, column "what it tells the worker").
    public enum Meaning: String, Sendable, Hashable, CaseIterable {
        /// 1, 2, 3, 7, 8, 9, 10: the device has not taken the command; a rollback can work.
        case notTaken = "not_taken"
        /// 11: the device has the command; a rollback will be refused.
        case onDevice = "on_device"
        /// 4: final, done (a sale paid, a cancel done).
        case successful
        /// 5: final, not done.
        case failed
        /// 6, no status, or a number Paywall does not document: not final, ask again.
        case unknown
        /// 12: final, rolled back.
        case rolledBack = "rolled_back"

        /// Whether nothing more will happen to the activity.
        public var isFinal: Bool {
            switch self {
            case .successful, .failed, .rolledBack: true
            case .notTaken, .onDevice, .unknown: false
            }
        }
    }

    /// What this status tells the worker.
    public var meaning: Meaning {
        switch self {
        case .created, .sentToDevice, .couldNotSendToDevice, .notificationNotSentFirebase,
            .notificationNotSentSocket, .notificationSentFirebase, .notificationSentSocket:
            .notTaken
        case .takenByDevice: .onDevice
        case .successful: .successful
        case .failed: .failed
        case .unknown: .unknown
        case .rolledBack: .rolledBack
        }
    }

    /// Whether nothing more will happen to the activity (4, 5, 12).
    public var isFinal: Bool { meaning.isFinal }

    /// The meaning of a status id as Paywall reported it; `nil` or an undocumented number means
    /// ``Meaning/unknown`` (ask again).
    public static func meaning(of statusId: Int?) -> Meaning {
        statusId.flatMap(PaymentStatus.init(rawValue:))?.meaning ?? .unknown
    }

    /// The English identifier used in answers, inbox messages and `outbox inspect`
    /// (`SentToDevice` is Paywall's own, from its inquiry example; the others translate S1).
    public var name: String {
        switch self {
        case .created: "Created"
        case .sentToDevice: "SentToDevice"
        case .couldNotSendToDevice: "CouldNotSendToDevice"
        case .successful: "Successful"
        case .failed: "Failed"
        case .unknown: "Unknown"
        case .notificationNotSentFirebase: "NotificationNotSentFirebase"
        case .notificationNotSentSocket: "NotificationNotSentSocket"
        case .notificationSentFirebase: "NotificationSentFirebase"
        case .notificationSentSocket: "NotificationSentSocket"
        case .takenByDevice: "TakenByDevice"
        case .rolledBack: "RolledBack"
        }
    }

    /// What a final status of an activity means to the merchant, in words: a sale's 4 `paid`,
    /// 5 `declined`, 12 `rolled back`; a cancel's 4 `cancelled`, 5 `cancel failed`, 12
    /// `cancel rolled back`; `nil` while not final (S1: statuses belong to an activity).
    public static func verdict(activity: PaymentType, statusId: Int?) -> String? {
        switch (activity, statusId.flatMap(PaymentStatus.init(rawValue:))) {
        case (.sale, .successful): "paid"
        case (.sale, .failed): "declined"
        case (.sale, .rolledBack): "rolled back"
        case (.cancel, .successful): "cancelled"
        case (.cancel, .failed): "cancel failed"
        case (.cancel, .rolledBack): "cancel rolled back"
        default: nil
        }
    }

    /// `11 TakenByDevice`, or `13 (undocumented)` for a number outside the table.
    public static func describe(_ statusId: Int) -> String {
        PaymentStatus(rawValue: statusId).map { "\(statusId) \($0.name)" } ?? "\(statusId) (undocumented)"
    }
}

/// Which activity of a payment a status belongs to (`PaymentTypeId`, and
/// `PaymentRequestActivityTypeId` in command answers).
///
/// Source: `docs/fiziksel-pos/sistem-verileri/odeme-tipleri.md` (API-NOTES §5.1).
public enum PaymentType: Int, Sendable, Hashable, Codable, CaseIterable {
    /// 1 — the sale.
    case sale = 1
    /// 2 — a cancel.
    case cancel = 2
    /// 3 — a refund.
    case refund = 3
    /// 4 — unknown.
    case unknown = 4

    /// The English identifier (`Sale`, `Cancel`, `Refund`, `Unknown`).
    public var name: String {
        switch self {
        case .sale: "Sale"
        case .cancel: "Cancel"
        case .refund: "Refund"
        case .unknown: "Unknown"
        }
    }
}
