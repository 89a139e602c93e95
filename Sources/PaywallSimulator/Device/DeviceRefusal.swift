import PaywallClient

/// Why the simulated Paywall refused a payment command, answered with Paywall's documented
/// string (``PhysicalError``, `docs/hata-kodlari-ve-aciklamalari.md`) in `ClientMessage` and the
/// generic numeric `ErrorCode` 1 ("failed" on Paywall's general numbering: the Physical API's
/// numbers are undocumented, a simulator choice).
public enum DeviceRefusal: Error, Sendable, Hashable, Codable {
    /// A sale with this MerchantUniqueCode exists already. The answer deliberately does not
    /// carry the first payment's id (Paywall does not document returning it).
    case duplicateMerchantUniqueCode
    /// No payment has this PaymentRequestId.
    case paymentNotFound
    /// The payment has a cancel already (open or done).
    case alreadyCancelled
    /// The sale's status does not allow the command (e.g. cancelling a failed sale, rolling
    /// back an async sale).
    case notConvenient(PaymentStatus)
    /// A rollback inside the first 5 seconds after the command.
    case rollbackTooEarly(remainingMillis: Int64)
    /// A rollback of a command the terminal has already taken (or that is final).
    case alreadyOnDevice(PaymentStatus)
    /// A cancel rollback on a payment that has no open cancel to revoke.
    case noCancelToRollBack

    /// The generic numeric `ErrorCode` reported with every refusal.
    public static let genericErrorCode = 1

    /// The `ErrorCode` reported.
    public var errorCode: Int { Self.genericErrorCode }

    /// The documented string reported in `ClientMessage`.
    public var physicalError: PhysicalError {
        switch self {
        case .duplicateMerchantUniqueCode: .merchantUniqueCodeAlreadyExists
        case .paymentNotFound: .paymentRequestNotFound
        case .alreadyCancelled: .alreadyHasRefundOrCancel
        case .notConvenient, .rollbackTooEarly, .alreadyOnDevice, .noCancelToRollBack:
            .notConvenientStatusForThisOperation
        }
    }

    /// The `ClientMessage` reported.
    public var clientMessage: String { physicalError.rawValue }

    /// The human `Message` reported (simulator wording).
    public var message: String {
        switch self {
        case .duplicateMerchantUniqueCode: "A payment with this MerchantUniqueCode already exists."
        case .paymentNotFound: "Payment request not found."
        case .alreadyCancelled: "This payment already has a cancel or refund."
        case .notConvenient(let status):
            "The payment status is not convenient for this operation (status \(status.rawValue) \(status.name))."
        case .rollbackTooEarly: "A command cannot be rolled back in its first 5 seconds."
        case .alreadyOnDevice(let status):
            "The device has taken the command (status \(status.rawValue) \(status.name)); it cannot be rolled back."
        case .noCancelToRollBack: "There is no cancel command to roll back."
        }
    }
}
