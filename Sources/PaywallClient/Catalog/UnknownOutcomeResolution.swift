import OutboxModel

/// How the worker learns what happened to a command whose answer was lost (a timeout after the
/// request left, a dropped connection, a worker killed mid-send). Part of each kind's catalog
/// entry: the worker never resends a kind Paywall does not deduplicate.
public enum UnknownOutcomeResolution: String, Sendable, Hashable, CaseIterable {
    /// Look the MerchantUniqueCode up in the payment list (sales: Paywall's only idempotency key).
    case paymentList = "payment_list"
    /// Read the revoked activity's status (inquiry, activities): rollbacks.
    case inquiry
    /// A resend is answered "already done" if the first one landed (a cancel:
    /// `Payment.Async.AlreadyHasRefundOrCancel`; a marketplace approve: every product approved).
    case alreadyDoneAnswer = "already_done_answer"
    /// Nothing tells: Paywall does not deduplicate it (a second pairing request is a second
    /// pairing code). The command ends `dead` / `outcome_unknown` for an operator.
    case none
}

extension CommandKind {
    /// How an unknown outcome of this kind is resolved (see ``UnknownOutcomeResolution``).
    public var unknownOutcomeResolution: UnknownOutcomeResolution {
        switch self {
        case .asyncSale, .syncSale: .paymentList
        case .syncSaleRollback, .syncCancelRollback: .inquiry
        case .asyncCancel, .syncCancel, .marketplaceApprove: .alreadyDoneAnswer
        case .asyncPairRequest, .asyncPairConfirm, .syncPairRequest: .none
        }
    }
}
