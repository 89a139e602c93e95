import Foundation

/// Paywall's Physical API error strings (`ClientMessage`), every one the docs list, and what the
/// worker does with each.
///
/// Source: `docs/hata-kodlari-ve-aciklamalari.md` in `paywallone/cursor-config`, tab "Fiziksel
/// API Hata Kodları" (API-NOTES S2). Numeric `ErrorCode`s of the Physical API are not documented
/// (the numeric tables on that page belong to the PaymentAPI and to a general numbering that
/// disagree), so a Physical failure is classified by its string, never by a number alone.
public enum PhysicalError: String, Sendable, Hashable, CaseIterable {
    /// An error on Paywall's side.
    case serverError = "System.ServerError"
    /// A parameter is invalid.
    case validationError = "System.ValidationError"
    /// Not authorised (the credentials).
    case authError = "System.AuthError"
    /// Connection not found.
    case connectionNotFound = "Connection.NotFound"
    /// Connection not active.
    case connectionNotEqualConnection = "Connection.NotEqualConnection"
    /// Record to update not found.
    case connectionUpdatedRecordNotFound = "Connection.UpdatedRecordNotFound"
    /// Record to delete not found.
    case connectionDeletedRecordNotFound = "Connection.DeletedRecordNotFound"
    /// Connection exists already.
    case connectionAlreadyExists = "Connection.AlreadyExists"
    /// Connection connected already.
    case connectionAlreadyConnected = "Connection.AlreadyConnected"
    /// Connection service parameters invalid.
    case connectionServiceParametersInvalid = "Connection.ServiceParametersInvalid"
    /// Connection not connected.
    case connectionNotConnected = "Connection.NotConnected"
    /// The connection does not support async payment, or it is switched off.
    case connectionIsAsyncPaymentNotActive = "Connection.IsAsyncPaymentNotActive"
    /// Transaction not found.
    case transactionNotFound = "Transaction.NotFound"
    /// Transaction list unavailable.
    case transactionFailedToGetTransactionList = "Transaction.FailedToGetTransactionList"
    /// Terminal not found.
    case terminalNotFound = "Terminal.NotFound"
    /// Terminal list unavailable.
    case terminalFailedToGetTerminalList = "Terminal.FailedToGetTerminalList"
    /// Terminal tag not found.
    case terminalTagNotFound = "Terminal.Tag.NotFound"
    /// A terminal tag with this code exists.
    case terminalTagAlreadyExistsWithThisCode = "Terminal.Tag.AlreadyExistsWithThisCode"
    /// Terminal tag to delete not found.
    case terminalTagDeletedRecordNotFound = "Terminal.Tag.DeletedRecordNotFound"
    /// Terminal pairing not found.
    case terminalPairNotFound = "Terminal.Pair.NotFound"
    /// A parameter is missing from the pairing request.
    case pairAbsentBodyParam = "Pair.Async.AbsentBodyParam"
    /// Not authorised (pairing): may concern this command only, or the keys.
    case pairAuthenticationFailed = "Pair.Async.AuthenticationFailed"
    /// Pairing request failed.
    case pairRequestFailed = "Pair.Async.RequestFailed"
    /// Pairing request unknown.
    case pairRequestNotFound = "Pair.Async.RequestNotFound"
    /// A pairing request exists already.
    case pairAlreadyPaired = "Pair.Async.AlreadyPaired"
    /// Pairing confirmation failed.
    case pairConfirmFailed = "Pair.Async.ConfirmFailed"
    /// The device has not approved the pairing yet.
    case pairConfirmNotCompleted = "Pair.Async.ConfirmNotCompleted"
    /// The payment could not be delivered to the device, or its request / answer was not found
    /// (the docs list the string three times; spelling `Cloud` is Paywall's).
    case cloudNotSendToDevice = "Payment.Async.CloudNotSendToDevice"
    /// The payment's status does not allow the operation: a rollback too early or of a command
    /// the device has; a cancel that is not possible.
    case notConvenientStatusForThisOperation = "Payment.Async.NotConvenientStatusForThisOperation"
    /// Already cancelled or refunded.
    case alreadyHasRefundOrCancel = "Payment.Async.AlreadyHasRefundOrCancel"
    /// The MerchantUniqueCode exists: the first send reached Paywall.
    case merchantUniqueCodeAlreadyExists = "Payment.Async.MerchantUniqueCodeAlreadyExists"
    /// PaymentRequestId unknown.
    case paymentRequestNotFound = "Payment.Request.RequestNotFound"

    /// What the worker does with an answer carrying the string.
    public enum Treatment: String, Sendable, Hashable, CaseIterable {
        /// Outcome unknown on a money-moving command (reconcile before anything else); transient
        /// otherwise.
        case serverError = "server_error"
        /// Credentials refused: pause dispatch for the key pair, spend no attempts.
        case pause
        /// Pause only when a harmless probe with the same keys is refused too; otherwise the
        /// command fails with Paywall's words.
        case probeCredentials = "probe_credentials"
        /// Try again later (the operator must act on the device first).
        case retryLater = "retry_later"
        /// Already done: a resent cancel that finds the payment cancelled (on cancels only).
        case alreadyCancelled = "already_cancelled"
        /// Paywall has this MerchantUniqueCode: find the first payment (on sales only).
        case duplicateMerchantUniqueCode = "duplicate_merchant_unique_code"
        /// A rollback refused: decided with our clock and a fresh inquiry; a cancel: failed.
        case notConvenient = "not_convenient"
        /// Permanent failure of this command, with Paywall's words.
        case fail
    }

    /// What the worker does with it (docs/paywall-client.md, "Physical API error strings").
    public var treatment: Treatment {
        switch self {
        case .serverError: .serverError
        case .authError: .pause
        case .pairAuthenticationFailed: .probeCredentials
        case .pairConfirmNotCompleted: .retryLater
        case .alreadyHasRefundOrCancel: .alreadyCancelled
        case .merchantUniqueCodeAlreadyExists: .duplicateMerchantUniqueCode
        case .notConvenientStatusForThisOperation: .notConvenient
        case .validationError, .connectionNotFound, .connectionNotEqualConnection, .connectionUpdatedRecordNotFound,
            .connectionDeletedRecordNotFound, .connectionAlreadyExists, .connectionAlreadyConnected,
            .connectionServiceParametersInvalid, .connectionNotConnected, .connectionIsAsyncPaymentNotActive,
            .transactionNotFound, .transactionFailedToGetTransactionList, .terminalNotFound,
            .terminalFailedToGetTerminalList, .terminalTagNotFound, .terminalTagAlreadyExistsWithThisCode,
            .terminalTagDeletedRecordNotFound, .terminalPairNotFound, .pairAbsentBodyParam, .pairRequestFailed,
            .pairRequestNotFound, .pairAlreadyPaired, .pairConfirmFailed, .cloudNotSendToDevice,
            .paymentRequestNotFound:
            .fail
        }
    }

    /// The documented string in `text` (compared without regard to letter case and surrounding
    /// whitespace), or `nil`.
    public init?(exactly text: String?) {
        // An empty text (most answers' ClientMessage) names nothing: no trimmed copy for it.
        guard let text, !text.isEmpty else { return nil }
        // "Success", "0" and most ClientMessages are answered without a trimmed, lowercased copy.
        guard Self.mayName(text) else { return nil }
        let folded = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let found = Self.folded[folded] else { return nil }
        self = found
    }

    /// Every documented string folded to lower case, computed once (this runs on every answer).
    private static let folded: [String: PhysicalError] = Dictionary(
        allCases.map { ($0.rawValue.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })

    /// Whether every documented string contains a `.` (what lets a message without one skip the
    /// search; a test holds it true).
    static let everyStringHasADot = allCases.allSatisfy { $0.rawValue.utf8.contains(UInt8(ascii: ".")) }

    /// Whether `text` can hold or be a documented string: always, unless every documented string
    /// has a dot and `text` has none (no other character matches U+002E, trimmed or lowercased).
    private static func mayName(_ text: String) -> Bool {
        !everyStringHasADot || text.utf8.contains(UInt8(ascii: "."))
    }

    /// The documented strings folded to lower case, longest first, computed once.
    private static let longestFirst: [(folded: String, error: PhysicalError)] = allCases
        .sorted { $0.rawValue.count > $1.rawValue.count }
        .map { ($0.rawValue.lowercased(), $0) }

    /// The documented string an envelope carries: `ClientMessage` first, then `ErrorCode` (when
    /// it is text), then a `Message` that contains the dotted string. `nil` when none does.
    public init?(envelope: PaywallEnvelope) {
        if let found = PhysicalError(exactly: envelope.clientMessage) ?? PhysicalError(exactly: envelope.errorCodeText)
        {
            self = found
            return
        }
        guard let message = envelope.message?.lowercased() else { return nil }
        // "Success", on every answer that went well, is not searched once per documented string.
        guard Self.mayName(message) else { return nil }
        // Longest first, so `Terminal.Pair.NotFound` is not read as `Terminal.NotFound`'s prefix.
        guard let found = Self.longestFirst.first(where: { message.contains($0.folded) }) else { return nil }
        self = found.error
    }
}
