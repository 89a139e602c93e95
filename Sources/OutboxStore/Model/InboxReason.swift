/// Why a command ended as it did: the inbox's `reason` column, a contract value the merchant's
/// software reads (README, "Reading the inbox", lists each with its outcome). This version writes
/// only the values below; a row written by another version may hold another text, which
/// ``init(rawValue:)`` keeps as it is.
public struct InboxReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The text stored in `inbox.reason`.
    public let rawValue: String

    /// A reason as stored (reading rows); write with the constants below.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // MARK: succeeded

    /// Found in the payment list after an unknown outcome.
    public static let reconciled = Self(rawValue: "reconciled")
    /// A resend found it already done; `why` is the ``AlreadyDoneReason``-style detail
    /// (`already_cancelled`, `already_approved`, ...).
    public static func alreadyDone(_ why: String) -> Self { Self(rawValue: "already_done:\(why)") }
    /// A rollback whose activity Paywall reports rolled back (status 12).
    public static let alreadyRolledBack = Self(rawValue: "already_rolled_back")

    // MARK: failed

    /// Paywall refused it; its words are in message / client_message.
    public static let rejected = Self(rawValue: "rejected")
    /// Refused before sending, the field named.
    public static let validation = Self(rawValue: "validation")
    /// Paywall holds the sale's MerchantUniqueCode for a different sale.
    public static let merchantUniqueCodeConflict = Self(rawValue: "merchant_unique_code_conflict")
    /// A rollback the device has taken (or that is final): queue a cancel instead.
    public static let notRevocable = Self(rawValue: "not_revocable")
    /// A cancel of a sale that ended without a payment.
    public static let nothingToCancel = Self(rawValue: "nothing_to_cancel")
    /// A rollback of a sale or cancel that ended without taking effect.
    public static let nothingToRollBack = Self(rawValue: "nothing_to_roll_back")
    /// A follow-up naming a sale this outbox does not hold.
    public static let saleNotFound = Self(rawValue: "sale_not_found")
    /// A follow-up whose sale ended dead (whether Paywall has it is unconfirmed).
    public static let saleDead = Self(rawValue: "sale_dead")
    /// A rollback naming a PaymentRequestId Paywall does not know.
    public static let paymentNotFound = Self(rawValue: "payment_not_found")
    /// A row the worker cannot read: `failed` if never sent, `dead` if a send may have landed.
    public static let unreadableRow = Self(rawValue: "unreadable_row")

    // MARK: expired, revoked, discarded

    /// Never reached Paywall before its deadline.
    public static let deadlinePassed = Self(rawValue: "deadline_passed")
    /// Withdrawn by a cancel or rollback before it was sent.
    public static let revokedLocally = Self(rawValue: "revoked_locally")
    /// Discarded by an operator (`outbox discard`).
    public static let `operator` = Self(rawValue: "operator")

    // MARK: dead

    /// Paywall may have it: check before acting.
    public static let outcomeUnknown = Self(rawValue: "outcome_unknown")
    /// `--max-attempts` reached.
    public static let attemptsExhausted = Self(rawValue: "attempts_exhausted")
    /// `--max-age` reached.
    public static let tooOld = Self(rawValue: "too_old")
    /// A defect in the worker: it planned something the command's phase forbids and did not do it.
    public static let lifecycleViolation = Self(rawValue: "lifecycle_violation")

    // MARK: payment_status rows

    /// The follow horizon passed before the activity reached a final status (schema 006): an
    /// operator should look; a verified final status arriving later is still written.
    public static let unresolved = Self(rawValue: "unresolved")

    /// Every fixed reason this version writes (``alreadyDone(_:)`` aside), for the README check.
    public static let documented: [Self] = [
        .reconciled, .alreadyRolledBack, .rejected, .validation, .merchantUniqueCodeConflict, .notRevocable,
        .nothingToCancel, .nothingToRollBack, .saleNotFound, .saleDead, .paymentNotFound, .unreadableRow,
        .deadlinePassed, .revokedLocally, .operator, .outcomeUnknown, .attemptsExhausted, .tooOld, .lifecycleViolation,
        .unresolved,
    ]
}
