/// What an endpoint does to the world, which decides how cautious classification must be.
public enum SideEffect: String, Sendable, Hashable {
    /// May move money (sale, cancel, rollback, marketplace approve): any doubt about whether
    /// Paywall acted is "outcome unknown", never "failed" or "retry".
    case movesMoney = "moves_money"
    /// Changes state at Paywall but moves no money (pairing).
    case changesState = "changes_state"
    /// Reads only; always safe to repeat.
    case readOnly = "read_only"
}

/// How to read an endpoint's successful answer.
public enum AnswerShape: String, Sendable, Hashable {
    /// A command answer: ids under `Result` (PaymentRequestId, PaymentStatus, PairCode, ...).
    case commandIds = "command_ids"
    /// One payment (inquiry) under `Result`.
    case paymentInfo = "payment_info"
    /// A page of payments under `Result` (`Items` plus `Pagination`).
    case paymentList = "payment_list"
    /// A page of one payment's activities under `Result` (`Items` plus `Pagination`).
    case activityList = "activity_list"
    /// PaymentAPI marketplace answer: `Body.Success[]` / `Body.Fail[]` product lists.
    case marketplaceApproval = "marketplace_approval"
}

/// Why a resend found its work already done.
public enum AlreadyDoneReason: String, Sendable, Hashable, CaseIterable {
    /// A sale was refused because its MerchantUniqueCode exists: the first send reached
    /// Paywall. Paywall does not return the first payment's id, so the worker must look the
    /// payment up (payment list by date, or callback) to learn its PaymentRequestId.
    case duplicateMerchantUniqueCode = "duplicate_merchant_unique_code"
    /// A cancel found the payment already cancelled.
    case alreadyCancelled = "already_cancelled"
    /// A marketplace approve found every product already approved.
    case alreadyApproved = "already_approved"
    /// A rollback found the command already rolled back (no default rule: Paywall's answer is
    /// undocumented; configure one when observed).
    case alreadyRolledBack = "already_rolled_back"
}
