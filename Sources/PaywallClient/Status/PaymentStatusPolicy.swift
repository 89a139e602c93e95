/// What the worker may conclude from a Physical POS payment status id. Paywall documents only
/// `2 = SentToDevice` (API-NOTES §5.2), so the meanings are configuration, not constants.
public struct PaymentStatusPolicy: Sendable, Hashable {
    /// What a status says about the payment order and the device.
    public enum Meaning: String, Sendable, Hashable, CaseIterable {
        /// Paywall has the order and the device certainly does not: a rollback will work.
        case notOnDevice = "not_on_device"
        /// The device may or may not have taken it: a rollback may work or be refused.
        case possiblyOnDevice = "possibly_on_device"
        /// The device has taken it: a rollback will be refused, only a cancel helps.
        case onDevice = "on_device"
        /// Terminal: paid.
        case succeeded
        /// Terminal: not paid (declined, aborted, expired).
        case failed
        /// Terminal: the sale was cancelled (money returned or never taken).
        case cancelled
        /// Terminal: the command was revoked before the device took it.
        case rolledBack = "rolled_back"

        /// Whether nothing more will happen to the payment.
        public var isTerminal: Bool {
            switch self {
            case .succeeded, .failed, .cancelled, .rolledBack: true
            case .notOnDevice, .possiblyOnDevice, .onDevice: false
            }
        }
    }

    /// Known status ids and their meanings.
    public var meanings: [Int: Meaning]
    /// The meaning of any id not in ``meanings``.
    public var unknownMeaning: Meaning

    /// Creates a policy.
    public init(meanings: [Int: Meaning], unknownMeaning: Meaning = .possiblyOnDevice) {
        self.meanings = meanings
        self.unknownMeaning = unknownMeaning
    }

    /// The meaning of a status id.
    public func meaning(of statusId: Int) -> Meaning {
        meanings[statusId] ?? unknownMeaning
    }

    /// For the real Paywall: nothing is known to be terminal and every status, even
    /// 2 = SentToDevice, means "possibly on the device" (API-NOTES §5.2: the only proof a command
    /// never reached the device is a successful rollback). The worker must keep polling and
    /// resolve with an inquiry; operators extend this table once the status page is known.
    public static let paywall = PaymentStatusPolicy(meanings: [2: .possiblyOnDevice], unknownMeaning: .possiblyOnDevice)

    /// The numbering the built-in simulator uses (docs/paywall-client.md, "Payment statuses"):
    /// 1 Created (not on device), 2 SentToDevice (not yet taken), 3 OnDevice (taken),
    /// 4 Cancelled, 5 Succeeded, 6 Failed, 7 RolledBack.
    public static let simulator = PaymentStatusPolicy(
        meanings: [
            1: .notOnDevice, 2: .notOnDevice, 3: .onDevice, 4: .cancelled, 5: .succeeded, 6: .failed, 7: .rolledBack,
        ],
        unknownMeaning: .possiblyOnDevice)
}

/// The status ids the built-in simulator uses (see ``PaymentStatusPolicy/simulator``).
public enum SimulatorPaymentStatus: Int, Sendable, Hashable, Codable, CaseIterable {
    /// Queued at Paywall, not yet sent to the device.
    case created = 1
    /// Sent towards the device, not yet taken by it (a rollback still works).
    case sentToDevice = 2
    /// Taken by the device (a rollback is refused).
    case onDevice = 3
    /// Cancelled.
    case cancelled = 4
    /// Paid.
    case succeeded = 5
    /// Not paid.
    case failed = 6
    /// Revoked by a rollback before the device took it.
    case rolledBack = 7

    /// The English identifier used as the status name in answers (e.g. `SentToDevice`).
    public var name: String {
        switch self {
        case .created: "Created"
        case .sentToDevice: "SentToDevice"
        case .onDevice: "OnDevice"
        case .cancelled: "Cancelled"
        case .succeeded: "Succeeded"
        case .failed: "Failed"
        case .rolledBack: "RolledBack"
        }
    }
}
