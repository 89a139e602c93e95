import Foundation
import OutboxModel
import OutboxStore
import PaywallClient
import Testing

@testable import OutboxWorker

/// Issue 10, "sent anyway, though invalid": a payload the validator refuses ends `failed`
/// (reason `validation`, the field path in the message) and no request for it leaves: one
/// command per category, against a scripted Paywall that records everything it receives.
@Suite("Invalid payloads are never sent", .serialized)
struct InvalidPayloadWorkerTests {
    static let zero = "00000000-0000-0000-0000-000000000000"

    /// A valid async sale's payload with `change` applied to its text.
    static func sale(_ key: String, _ change: (String) -> String = { $0 }) -> String {
        change(Payloads.sale(key))
    }

    /// (name, kind, command key, payload, payment_request_id, what the inbox message must say)
    static func commands() -> [(String, CommandKind, String, String, String?, String)] {
        let keys = (0..<7).map { _ in Payloads.key() }
        return [
            (
                "amount with 3 decimals", .asyncSale, keys[0],
                sale(keys[0]) { $0.replacingOccurrences(of: "22.10", with: "22.105") },
                nil, "Amount: Amount has 3 decimals"
            ),
            (
                "amount in exponent notation", .syncSale, keys[1],
                sale(keys[1]) { $0.replacingOccurrences(of: #""Amount":22.10,"Currency"#, with: #""Amount":2.21e1,"Currency"#) },
                nil, "Amount: Amount must be written as plain decimal digits"
            ),
            ("all-zero MerchantUniqueCode", .asyncSale, Self.zero, sale(Self.zero), nil, "MerchantUniqueCode: MerchantUniqueCode is the all-zero GUID"),
            ("all-zero PaymentRequestId", .asyncCancel, keys[2], "{}", Self.zero, "PaymentRequestId: PaymentRequestId is the all-zero GUID"),
            (
                "zero-width space in TerminalTagCode", .asyncSale, keys[3],
                sale(keys[3]) { $0.replacingOccurrences(of: #""TerminalTagCode":"T1""#, with: #""TerminalTagCode":"T\u200B1""#) },
                nil, "TerminalTagCode: TerminalTagCode contains an invisible character (U+200B)"
            ),
            (
                "NUL in a product name", .asyncSale, keys[4],
                sale(keys[4]) { $0.replacingOccurrences(of: #""Name":"Item""#, with: #""Name":"It\u0000em""#) },
                nil, "Products[0].Name: Products[0].Name contains a control character (U+0000)"
            ),
            (
                "misspelt CallbackAddress", .asyncSale, keys[5],
                sale(keys[5]) { String($0.dropLast()) + #","CallbackAdress":"https://merchant.test/cb"}"# },
                nil, "CallbackAdress: CallbackAdress is not a field of this request"
            ),
            (
                "duplicate key in a product line", .asyncSale, keys[6],
                sale(keys[6]) { $0.replacingOccurrences(of: #""Quantity":1}"#, with: #""Quantity":1,"Quantity":2}"#) },
                nil, #"Products[0].Quantity: the payload is not valid JSON: invalid JSON (duplicate_key): duplicate key "Quantity" at Products[0]"#
            ),
        ]
    }

    @Test("each category ends failed/validation naming the field; no request reaches Paywall")
    func neverSent() async throws {
        let run = try ScriptedRun()
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        run.paywall.script("/cancel", [], then: ScriptedPaywall.accepted())
        let commands = Self.commands()
        for (_, kind, key, payload, paymentRequestId, _) in commands {
            _ = try run.store.enqueue(
                NewCommand(commandKey: key, kind: kind, payload: payload, paymentRequestId: paymentRequestId))
        }
        try await run.run { try run.store.inbox(after: 0).filter { $0.event == "outcome" }.count == commands.count }
        let outcomes = try run.store.inbox(after: 0).filter { $0.event == "outcome" }
        for (name, _, key, _, _, says) in commands {
            let row = try #require(outcomes.first { $0.commandKey == key }, "\(name): no outcome")
            let outcome = try #require(row.outcome)
            #expect(outcome.outcome == .failed && outcome.reason == .validation, "\(name): \(outcome)")
            #expect(outcome.message?.hasPrefix(says) == true, "\(name): \(outcome.message ?? "no message")")
            let detail = try #require(try run.store.detail(id: row.outboxID))
            #expect(!detail.command.needsReconcile, "\(name): marked as possibly sent")
            #expect(detail.attempts.allSatisfy { $0.record.outcome == "invalid" }, "\(name): \(detail.attempts.map(\.record.outcome))")
        }
        #expect(run.paywall.received.isEmpty, "requests left: \(run.paywall.received.map(\.path))")
    }

    @Test("with --allow-unknown-fields the unknown key is sent untouched; the other refusals stay")
    func escapeHatch() async throws {
        let run = try ScriptedRun { $0.paywall.unknownFields = .passThrough }
        run.paywall.script("/sale", [], then: ScriptedPaywall.accepted())
        let key = Payloads.key()
        let unknown = Self.sale(key) { String($0.dropLast()) + #","NewPaywallField":{"x":1}}"# }
        _ = try run.store.enqueue(NewCommand(commandKey: key, kind: .asyncSale, payload: unknown))
        let invalid = Payloads.key()
        let precise = Self.sale(invalid) { $0.replacingOccurrences(of: "22.10", with: "22.105") }
        _ = try run.store.enqueue(NewCommand(commandKey: invalid, kind: .asyncSale, payload: precise))
        try await run.run { try run.store.inbox(after: 0).filter { $0.event == "outcome" }.count == 2 }
        let outcomes = try run.store.inbox(after: 0).filter { $0.event == "outcome" }
        #expect(outcomes.first { $0.commandKey == key }?.outcome?.outcome == .succeeded)
        #expect(outcomes.first { $0.commandKey == invalid }?.outcome?.reason == .validation)
        let sent = run.paywall.received.filter { $0.path.hasSuffix("/sale") }
        #expect(sent.count == 1 && sent.allSatisfy { $0.body.contains(#""NewPaywallField":{"x":1}"#) && $0.body.contains(key) })
    }
}
