import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

/// What a payment-list lookup by MerchantUniqueCode found.
public enum PaymentLookup: Sendable, Hashable {
    /// Paywall has a payment with the code.
    case found(PaymentInfo)
    /// A complete scan (every page) of dates from `scannedFrom` (ms) through now has no payment
    /// with the code.
    case notFound(scannedFrom: EpochMillis)
    /// The scan did not complete (an error, too many pages).
    case failed(PaywallOutcome)
}

/// The next step for a sale whose earlier send may have reached Paywall.
public enum ReconcileStep: Sendable, Hashable {
    /// Done: the outcome to write (`succeeded` found, `failed` conflict or definite refusal,
    /// `expired` proven absent after its deadline, `dead` budget spent), with the
    /// PaymentRequestId found, if any.
    case finish(InboxOutcome, paymentRequestId: String?)
    /// Paywall is proven not to have the sale and its deadline has not passed: send it again,
    /// same MerchantUniqueCode, as a first send (a definite refusal of it is a definite `failed`).
    case resend
    /// Look again at `at`; `counts` says whether the lookup spends an attempt of the budget.
    case lookAgain(at: EpochMillis, counts: Bool, why: String)
    /// Paywall could not be reached: pause dispatch (spends nothing).
    case pause(reason: String)
}

/// The rules for reconciling a sale (issue 9, items 1, 4, 5, 6): pure, table-tested.
///
/// - Found: `succeeded` only when the payment is this sale (``SaleMatch``: amount equal, no
///   compared field different); a difference is `failed` / `merchant_unique_code_conflict`
///   naming the fields and the PaymentRequestId found; an amount that cannot be compared ends
///   `dead` / `outcome_unknown` with what was found.
/// - Not found is *proof* of absence only when the scan was complete, its dates start at least
///   ``WorkerConfiguration/clockSkewMarginMillis`` before the first send, and it was taken at
///   least the request timeout plus ``WorkerConfiguration/landingGraceMillis`` after the last
///   send could have left. Before that: look again then (spends nothing). With proof: past the
///   deadline → `expired` (never sent late); before it → resend.
/// - After Paywall answered "duplicate MerchantUniqueCode", "not found" is never proof: no blind
///   resend, only lookups until the budget ends.
/// - A failed lookup spends an attempt (connectivity pauses instead); when attempts reach
///   `maxAttempts` or the sale reaches `maxAgeMillis` it ends `dead` / `outcome_unknown` with
///   everything known. Never `failed` or `expired` without proof.
public struct SaleReconciliation: Sendable {
    /// The configuration (deadlines, budget, backoff, grace).
    public var configuration: WorkerConfiguration

    /// Creates the rules.
    public init(configuration: WorkerConfiguration) {
        self.configuration = configuration
    }

    var graceMillis: Int64 {
        configuration.paywall.requestTimeout.wholeMilliseconds + configuration.landingGraceMillis
    }

    /// Decides the next step for `command` after `lookup`, at `now`.
    public func decide(
        command: OutboxCommand, history: SendHistory, lookup: PaymentLookup, now: EpochMillis, jitter: Double
    ) -> ReconcileStep {
        let attemptsAfter = command.attempts + 1
        let known = summary(history)
        func budgetSpent() -> Bool {
            configuration.budgetSpent(attemptsAfter: attemptsAfter, createdAt: command.createdAt, now: now)
        }
        func dead(_ why: String) -> ReconcileStep {
            .finish(
                InboxOutcome(
                    .dead, reason: .outcomeUnknown,
                    message: "Paywall may have this sale; \(why) (\(known)): look it up before charging again"),
                paymentRequestId: nil)
        }
        func backoff() -> EpochMillis {
            now + max(configuration.reconcileDelayMillis, configuration.backoff.delay(attempt: attemptsAfter, unit: jitter))
        }

        switch lookup {
        case .found(let info):
            let match = SaleMatch.compare(payload: command.payload, found: info)
            var outcome: InboxOutcome
            if !match.differences.isEmpty {
                outcome = InboxOutcome(
                    .failed, reason: .merchantUniqueCodeConflict,
                    message: "Paywall's payment \(info.paymentRequestId) with this MerchantUniqueCode is another sale: "
                        + match.differences.joined(separator: "; ")
                        + (match.uncompared.isEmpty ? "" : "; not compared: " + match.uncompared.joined(separator: "; ")),
                    paymentRequestId: info.paymentRequestId, paymentStatusId: info.statusId,
                    result: info.raw.serialized())
                return .finish(outcome, paymentRequestId: nil)
            }
            guard match.amountCompared else {
                outcome = InboxOutcome(
                    .dead, reason: .outcomeUnknown,
                    message: "Paywall has payment \(info.paymentRequestId) with this MerchantUniqueCode but it could not "
                        + "be compared with the queued sale (" + match.uncompared.joined(separator: "; ") + ")",
                    paymentRequestId: info.paymentRequestId, paymentStatusId: info.statusId,
                    result: info.raw.serialized())
                return .finish(outcome, paymentRequestId: nil)
            }
            outcome = InboxOutcome(
                .succeeded, reason: .reconciled,
                message: "found by MerchantUniqueCode in the payment list"
                    + (match.uncompared.isEmpty ? "" : "; not compared: " + match.uncompared.joined(separator: "; ")),
                paymentRequestId: info.paymentRequestId, paymentRequestActivityId: info.paymentRequestActivityId,
                paymentStatusId: info.statusId, result: info.raw.serialized())
            return .finish(outcome, paymentRequestId: info.paymentRequestId)

        case .failed(let outcome):
            switch outcome {
            case .unavailable(let problem):
                return .pause(reason: "\(problem)")
            case .transient(_, let problem) where problem.code == .transport:
                return .pause(reason: "\(problem)")
            case .transient(let retryAfter?, _):
                // Throttled: Paywall said when; that spends no attempt (the age limit still holds).
                if now - command.createdAt >= configuration.maxAgeMillis {
                    return dead("the payment list could not be read: \(outcome)")
                }
                return .lookAgain(
                    at: now + max(1_000, retryAfter.components.seconds * 1000), counts: false,
                    why: "payment lookup: \(outcome)")
            default:
                if budgetSpent() { return dead("the payment list could not be read: \(outcome)") }
                return .lookAgain(at: backoff(), counts: true, why: "payment lookup: \(outcome)")
            }

        case .notFound(let scannedFrom):
            if history.duplicateAnswered {
                if budgetSpent() { return dead("Paywall answered 'duplicate MerchantUniqueCode' but its list does not show it") }
                return .lookAgain(
                    at: backoff(), counts: true,
                    why: "Paywall answered 'duplicate MerchantUniqueCode' but its list does not show it yet")
            }
            let firstSend = history.firstSendAt ?? command.createdAt
            // Every send has a row (marked before it left; schema 004 added one for older ones).
            let lastSend = history.lastSendAt ?? command.createdAt
            guard scannedFrom <= firstSend - configuration.clockSkewMarginMillis else {
                if budgetSpent() { return dead("the payment list scan did not reach back to the first send") }
                return .lookAgain(at: backoff(), counts: true, why: "the scan did not reach back to the first send")
            }
            let proofFrom = lastSend + graceMillis
            guard now >= proofFrom else {
                if now - command.createdAt >= configuration.maxAgeMillis {
                    return dead("the age limit came before proof that Paywall does not have it")
                }
                return .lookAgain(
                    at: proofFrom, counts: false,
                    why: "not in the payment list yet; looking again \(graceMillis / 1000) s after the last send")
            }
            if let deadline = configuration.deadline(of: command), now > deadline {
                return .finish(
                    InboxOutcome(
                        .expired, reason: .deadlinePassed,
                        message: "not delivered before its deadline (\(isoTime(deadline))): a complete payment list "
                            + "taken \((now - lastSend) / 1000) s after the last send shows Paywall never received it"),
                    paymentRequestId: nil)
            }
            return .resend
        }
    }

    func summary(_ history: SendHistory) -> String {
        var parts = ["\(history.sends) send(s)"]
        if let first = history.firstSendAt { parts.append("first \(isoTime(first))") }
        if let last = history.lastSendAt { parts.append("last \(isoTime(last))") }
        if history.duplicateAnswered { parts.append("Paywall answered 'duplicate MerchantUniqueCode'") }
        return parts.joined(separator: ", ")
    }
}
