import Foundation
import OutboxModel
import OutboxStore
import OutboxWorker
import PaywallClient

/// The demo's human output: one line on stdout per final outcome, e.g.
///
///     ✔ succeeded  async_sale          3f2b8c1e…  PaymentRequestId 7e1f3a5c…
///     ✖ failed     async_sale          9a6e0d2c…  declined: Insufficient funds
enum OutcomeLine {
    static func format(_ report: WorkerReport) -> String {
        let mark =
            switch report.outcome {
            case .succeeded: "✔"
            case .failed, .dead: "✖"
            case .expired: "⏱"
            case .revoked: "↩"
            case .discarded: "–"
            }
        var line = "\(mark) \(pad(report.outcome.rawValue, 10)) \(pad(report.kind, 20)) \(short(report.commandKey))"
        if let id = report.paymentRequestId, !id.isEmpty {
            line += "  PaymentRequestId \(short(id))"
        }
        if report.kind.hasSuffix("_rollback"), let status = report.paymentStatusId {
            // S1 name: a rollback's 12 RolledBack, or the status that made it not revocable.
            line += "  status \(PaymentStatus.describe(status))"
        }
        if report.outcome != .succeeded {
            let why = [report.reason?.rawValue, report.message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            if !why.isEmpty { line += "  \(why.replacingOccurrences(of: "\n", with: " "))" }
        }
        return line
    }

    /// A payment's final status (or the horizon's unresolved row), e.g.
    ///
    ///     💳 paid        async_sale          3f2b8c1e…  PaymentRequestId 7e1f3a5c…  status 4 Successful (inquiry)
    ///     💳 declined    async_sale          9a6e0d2c…  PaymentRequestId 0c4d9b1a…  status 5 Failed (callback)
    ///
    /// `nil` for a status that is not final: the demo shows where each payment ended.
    static func format(_ report: PaymentStatusReport) -> String? {
        let event = report.event
        let words: String
        if event.statusId == nil {
            words = "unresolved"
        } else if event.isFinal, let verdict = PaymentStatus.verdict(
            activity: PaymentType(rawValue: report.activity.paymentTypeId) ?? .sale, statusId: event.statusId)
        {
            words = verdict
        } else {
            return nil
        }
        var line = "💳 \(pad(words, 11)) \(pad(report.kind, 20)) \(short(report.commandKey))"
        line += "  PaymentRequestId \(short(report.paymentRequestId))"
        if let status = event.statusId { line += "  status \(PaymentStatus.describe(status))" }
        line += " (\(event.source.rawValue))"
        if let message = event.message, !message.isEmpty, event.statusId != 4 {
            line += "  \(message.replacingOccurrences(of: "\n", with: " "))"
        }
        return line
    }

    /// Prints a payment status line, when ``format(_:)-(PaymentStatusReport)`` gives one.
    static func print(_ report: PaymentStatusReport) {
        guard let line = format(report) else { return }
        write(line)
    }

    /// Unbuffered, one write per line (stdout may be a pipe); dropped if it cannot be written
    /// (``LineWriter``).
    private static func write(_ line: String) {
        LineWriter.write(line + "\n", to: STDOUT_FILENO)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func short(_ id: String) -> String {
        id.count > 8 ? String(id.prefix(8)) + "…" : id
    }

    static func print(_ report: WorkerReport) {
        write(format(report))
    }
}
