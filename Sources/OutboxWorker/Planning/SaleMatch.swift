import Foundation
import PaywallClient

/// Whether the payment Paywall holds under a sale's MerchantUniqueCode is the sale queued here.
///
/// Paywall refuses a second sale with the same MerchantUniqueCode and the list finds the first
/// one; if that first one is a different sale (another amount, another terminal) it is not this
/// sale, and reporting `succeeded` would tell the merchant a payment happened that did not.
/// Compared: `Amount` as a decimal value (22.1 equals 22.10) and `TerminalId` when both sides
/// carry it. A field that cannot be compared is listed and never counts as a match.
public struct SaleMatch: Sendable, Hashable {
    /// Fields whose values differ, with both values ("Amount 99.00 ≠ 10.00").
    public var differences: [String]
    /// Fields that could not be compared, and why.
    public var uncompared: [String]
    /// Whether the amount was compared (and, when ``differences`` is empty, equal).
    public var amountCompared: Bool

    /// Compares the queued sale's `payload` with the payment `found`.
    public static func compare(payload: String, found: PaymentInfo) -> SaleMatch {
        var match = SaleMatch(differences: [], uncompared: [], amountCompared: false)
        let body = try? JSONValue.parse(payload)
        let queuedAmount = body?.value(forExactKey: "Amount")?.numberLiteral
        switch (queuedAmount.flatMap(ExactDecimal.parse), found.amount.flatMap(ExactDecimal.parse)) {
        case (let queued?, let paywall?):
            match.amountCompared = true
            if queued != paywall {
                match.differences.append("Amount \(queuedAmount ?? "?") ≠ \(found.amount ?? "?")")
            }
        default:
            match.uncompared.append("Amount (Paywall's list gave \(found.amount ?? "none"))")
        }
        let queuedTerminal = body?.value(forExactKey: "TerminalId")?.stringValue
        switch (queuedTerminal, found.terminalId) {
        case (let queued?, let paywall?):
            if queued.lowercased() != paywall.lowercased() {
                match.differences.append("TerminalId \(queued) ≠ \(paywall)")
            }
        case (nil, _):
            match.uncompared.append("terminal (the sale names a TerminalTagCode; Paywall reports TerminalId)")
        case (_?, nil):
            match.uncompared.append("TerminalId (Paywall's list gave none)")
        }
        return match
    }
}
