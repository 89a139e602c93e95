/// Which Paywall answers mean "already done" or "try again later". The Physical API's error
/// codes are undocumented (API-NOTES §7), so these are configuration with documented defaults
/// taken from the PaymentAPI table and the official .NET SDK; tune them from test-environment
/// observations.
///
/// Message patterns match `Message` or `ClientMessage` (or a marketplace `Fail[].Reason`)
/// after both sides are folded to lowercase letters and digits only, so
/// `"MerchantUniqueCodeAlreadyExist"` and `"Merchant unique code already exists"` both match
/// the pattern `merchant unique code already exist`.
public struct ClassificationRules: Sendable, Hashable {
    /// A way to recognise one answer: by error code or by message text.
    public struct Matcher: Sendable, Hashable {
        /// Error codes that match.
        public var errorCodes: Set<Int>
        /// Message fragments that match (folded, see ``ClassificationRules``).
        public var messagePatterns: [String]

        /// Creates a matcher.
        public init(errorCodes: Set<Int> = [], messagePatterns: [String] = []) {
            self.errorCodes = errorCodes
            self.messagePatterns = messagePatterns
        }

        /// Whether the code or any of the messages matches.
        public func matches(errorCode: Int?, messages: [String?]) -> Bool {
            if let errorCode, errorCodes.contains(errorCode) { return true }
            return matches(messages: messages)
        }

        /// Whether any of the messages contains a pattern.
        public func matches(messages: [String?]) -> Bool {
            let folded = messages.compactMap { $0 }.map(ClassificationRules.fold)
            for pattern in messagePatterns.map(ClassificationRules.fold) where !pattern.isEmpty {
                if folded.contains(where: { $0.contains(pattern) }) { return true }
            }
            return false
        }
    }

    /// Per reason, how to recognise an "already done" answer on a resend. Only the reasons an
    /// endpoint lists in ``PaywallEndpoint/alreadyDone`` are consulted for it.
    public var alreadyDone: [AlreadyDoneReason: Matcher]
    /// Failure answers that mean "not now, try again" (e.g. a rollback in its first 5 s), with
    /// the delay to wait.
    public var retryLater: Matcher
    /// The delay for ``retryLater`` answers.
    public var retryLaterDelay: Duration

    /// Creates rules.
    public init(
        alreadyDone: [AlreadyDoneReason: Matcher], retryLater: Matcher, retryLaterDelay: Duration = .seconds(2)
    ) {
        self.alreadyDone = alreadyDone
        self.retryLater = retryLater
        self.retryLaterDelay = retryLaterDelay
    }

    /// The defaults (see docs/paywall-client.md, "Configurable answers"):
    /// - duplicate MerchantUniqueCode: codes 4 (PaymentAPI table) and 119 (.NET SDK),
    ///   messages "merchant unique code already exist", "merchantuniquecode already";
    /// - already cancelled: code 94 (.NET SDK PaymentHasSuccessfulCancel), messages
    ///   "already cancel", "has successful cancel";
    /// - already approved: code 303 (.NET SDK), message "already approved" (Fail reasons);
    /// - already rolled back: message "already rolled back" only;
    /// - retry later: code 269 (.NET SDK ThisOperationCannotDoInThisTime), message
    ///   "cannot do in this time", after 2 s.
    public static let `default` = ClassificationRules(
        alreadyDone: [
            .duplicateMerchantUniqueCode: Matcher(
                errorCodes: [4, 119],
                messagePatterns: ["merchant unique code already exist", "merchantuniquecode already"]),
            .alreadyCancelled: Matcher(
                errorCodes: [94], messagePatterns: ["already cancel", "has successful cancel"]),
            .alreadyApproved: Matcher(errorCodes: [303], messagePatterns: ["already approved"]),
            .alreadyRolledBack: Matcher(messagePatterns: ["already rolled back", "already rollbacked"]),
        ],
        retryLater: Matcher(errorCodes: [269], messagePatterns: ["cannot do in this time"]),
        retryLaterDelay: .seconds(2))

    /// Lowercase letters and digits only.
    static func fold(_ text: String) -> String {
        String(
            text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(
                Character.init))
    }
}
