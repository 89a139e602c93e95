/// Why the simulated Paywall refused a payment command. Each refusal has a fixed error code and
/// `ClientMessage` (simulator choices: Paywall publishes no Physical POS error list).
public enum DeviceRefusal: Error, Sendable, Hashable, Codable {
    /// A sale with this MerchantUniqueCode exists already. The answer deliberately does not
    /// carry the first payment's id (Paywall does not document returning it).
    case duplicateMerchantUniqueCode
    /// No payment has this PaymentRequestId.
    case paymentNotFound
    /// The payment is cancelled already.
    case alreadyCancelled
    /// The payment's status does not allow the command (e.g. cancelling a failed sale,
    /// rolling back an async sale).
    case notConvenient(SimulatedPaymentStatus)
    /// A rollback inside the first 5 seconds after the command.
    case rollbackTooEarly(remainingMillis: Int64)
    /// A rollback of a command the terminal has already taken.
    case alreadyOnDevice
    /// A sale rollback of a payment already rolled back.
    case alreadyRolledBack
    /// A cancel rollback on a payment that has no cancel to revoke.
    case noCancelToRollBack

    /// The `ErrorCode` reported.
    public var errorCode: Int {
        switch self {
        case .duplicateMerchantUniqueCode: 119
        case .paymentNotFound: 56
        case .alreadyCancelled: 94
        case .notConvenient: 92
        case .rollbackTooEarly: 269
        case .alreadyOnDevice: 270
        case .alreadyRolledBack: 97
        case .noCancelToRollBack: 92
        }
    }

    /// The `ClientMessage` constant reported.
    public var clientMessage: String {
        switch self {
        case .duplicateMerchantUniqueCode: "MerchantUniqueCodeAlreadyExist"
        case .paymentNotFound: "PaymentNotFound"
        case .alreadyCancelled: "PaymentAlreadyCancelled"
        case .notConvenient, .noCancelToRollBack: "PaymentNotConvenientForOperation"
        case .rollbackTooEarly: "ThisOperationCannotDoInThisTime"
        case .alreadyOnDevice: "CommandAlreadyReceivedByDevice"
        case .alreadyRolledBack: "PaymentAlreadyFinalized"
        }
    }

    /// The human `Message` reported.
    public var message: String {
        switch self {
        case .duplicateMerchantUniqueCode: "A payment with this MerchantUniqueCode already exists."
        case .paymentNotFound: "Payment not found."
        case .alreadyCancelled: "This payment is already cancelled."
        case .notConvenient(let status): "The payment is not convenient for this operation (status \(status.name))."
        case .rollbackTooEarly: "A rollback is not allowed in the first 5 seconds after the command."
        case .alreadyOnDevice: "The device has already received the command; it cannot be rolled back."
        case .alreadyRolledBack: "This payment is already rolled back."
        case .noCancelToRollBack: "There is no cancel command to roll back."
        }
    }
}
