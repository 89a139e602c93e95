/// Which Paywall answers mean "already done" or "try again later", beyond Paywall's documented
/// Physical API strings (``PhysicalError``, which the classifier reads first and which are not
/// configurable). These are fallbacks for wordings seen in the field; tune them from
/// test-environment observations.
///
/// Error codes match only PaymentAPI answers (marketplace approve), whose numeric table is
/// documented; a Physical API answer is never classified by a number alone (API-NOTES S2: its
/// numbers are undocumented, and on the general numbering 4 means "header missing").
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
    /// - duplicate MerchantUniqueCode: messages "merchant unique code already exist",
    ///   "merchantuniquecode already" (Paywall's own string is typed: ``PhysicalError``);
    /// - already cancelled: messages "already cancel", "has successful cancel";
    /// - already approved: PaymentAPI code 303 (.NET SDK), message "already approved" (the
    ///   `Fail[].Reason` of Paywall's repeated-approve example, API-NOTES §4);
    /// - already rolled back: message "already rolled back" only;
    /// - retry later: message "cannot do in this time", after 2 s.
    public static let `default` = ClassificationRules(
        alreadyDone: [
            .duplicateMerchantUniqueCode: Matcher(
                messagePatterns: ["merchant unique code already exist", "merchantuniquecode already"]),
            .alreadyCancelled: Matcher(messagePatterns: ["already cancel", "has successful cancel"]),
            .alreadyApproved: Matcher(errorCodes: [303], messagePatterns: ["already approved"]),
            .alreadyRolledBack: Matcher(messagePatterns: ["already rolled back", "already rollbacked"]),
        ],
        retryLater: Matcher(messagePatterns: ["cannot do in this time"]),
        retryLaterDelay: .seconds(2))

    /// Lowercase letters and digits only.
    static func fold(_ text: String) -> String {
        String(
            text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(
                Character.init))
    }
}
