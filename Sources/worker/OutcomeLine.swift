import Foundation
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

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func short(_ id: String) -> String {
        id.count > 8 ? String(id.prefix(8)) + "…" : id
    }

    private static let lock = NSLock()

    /// Unbuffered, one write per line (stdout may be a pipe).
    static func print(_ report: WorkerReport) {
        let data = Data((format(report) + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(data)
    }
}
