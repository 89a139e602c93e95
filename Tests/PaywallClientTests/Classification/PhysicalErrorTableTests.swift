import OutboxModel
import Testing

@testable import PaywallClient

/// Every Physical API error string Paywall documents (`docs/hata-kodlari-ve-aciklamalari.md`,
/// tab "Fiziksel API Hata Kodları", in `paywallone/cursor-config`; API-NOTES S2), in both envelope
/// casings, in HTTP 200, 4xx and 5xx answers, on a money-moving and on a state-changing endpoint.
@Suite("Physical API error strings (S2)")
struct PhysicalErrorTableTests {
    typealias Shape = ClassifierTests.Shape

    struct Case: Sendable, CustomTestStringConvertible {
        var error: PhysicalError
        var camel: Bool
        var status: Int
        var testDescription: String { "\(error.rawValue) \(camel ? "camelCase" : "PascalCase") HTTP \(status)" }
    }

    static let cases: [Case] = PhysicalError.allCases.flatMap { error in
        [false, true].flatMap { camel in [200, 400, 500].map { Case(error: error, camel: camel, status: $0) } }
    }

    static func body(_ error: PhysicalError, camel: Bool, where field: String = "ClientMessage") -> String {
        func key(_ name: String) -> String { camel ? name.prefix(1).lowercased() + name.dropFirst() : name }
        let code = field == "ErrorCode" ? "\"\(error.rawValue)\"" : "1"
        let message = field == "Message" ? "\"Request failed: \(error.rawValue)\"" : "\"Hata\""
        let client = field == "ClientMessage" ? "\"\(error.rawValue)\"" : "null"
        return """
            {"\(key("Result"))":null,"\(key("ErrorCode"))":\(code),"\(key("Succeeded"))":false,\
            "\(key("Failed"))":true,"\(key("Message"))":\(message),"\(key("ClientMessage"))":\(client)}
            """
    }

    /// What the worker must get for `error` on `kind` (docs/paywall-client.md's S2 table).
    static func expected(_ error: PhysicalError, kind: CommandKind, status: Int) -> Shape {
        let moneyMoving = PaywallCatalog().endpoint(for: kind).sideEffect == .movesMoney
        switch error {
        case .authError: return .unavailable
        case .serverError: return moneyMoving ? .unknown : .transient
        case .pairAuthenticationFailed: return .probe
        case .pairConfirmNotCompleted: return .transient
        case .alreadyHasRefundOrCancel:
            return kind.role == .followUp && kind != .syncSaleRollback && kind != .syncCancelRollback
                ? .cancelled : .rejected
        case .merchantUniqueCodeAlreadyExists: return kind.role == .sale ? .duplicate : .rejected
        default:
            // Every other string is a permanent failure of this command, with Paywall's words;
            // a 5xx without a recognised reason would be "unknown", so the string must win.
            return .rejected
        }
    }

    @Test("each string, both casings, 200/4xx/5xx, on a sale, a cancel and a pair request", arguments: cases)
    func table(row: Case) {
        for kind in [CommandKind.syncSale, .asyncCancel, .asyncPairRequest] {
            let outcome = ClassifierTests.classify(
                .command(kind), status: row.status, body: Self.body(row.error, camel: row.camel))
            #expect(
                ClassifierTests.shape(outcome) == Self.expected(row.error, kind: kind, status: row.status),
                "\(kind.rawValue): \(outcome)")
            #expect(outcome.answer?.physicalError == row.error)
        }
    }

    @Test("the string is also read from ErrorCode and from Message", arguments: PhysicalError.allCases)
    func otherFields(error: PhysicalError) {
        for field in ["ErrorCode", "Message"] {
            let outcome = ClassifierTests.classify(
                .command(.syncSale), status: 200, body: Self.body(error, camel: false, where: field))
            #expect(ClassifierTests.shape(outcome) == Self.expected(error, kind: .syncSale, status: 200), "\(field)")
        }
    }

    @Test("System.AuthError pauses whatever the HTTP status, a 200 envelope too")
    func authErrorAnyStatus() {
        for status in [200, 400, 401, 403, 500, 503] {
            let outcome = ClassifierTests.classify(
                .command(.asyncSale), status: status, body: Self.body(.authError, camel: status % 2 == 0))
            guard case .unavailable(let problem) = outcome else {
                Issue.record("HTTP \(status): \(outcome)")
                continue
            }
            #expect(problem.code == .credentialsRefused)
        }
    }

    @Test("matching ignores letter case and surrounding spaces, never a number alone")
    func matching() {
        #expect(PhysicalError(exactly: " system.autherror ") == .authError)
        #expect(PhysicalError(exactly: "Terminal.Pair.NotFound") == .terminalPairNotFound)
        #expect(PhysicalError(exactly: "4") == nil)
        let envelope = PaywallEnvelope(
            try! JSONValue.parse(#"{"ErrorCode":1,"Message":"x Terminal.Pair.NotFound y"}"#))!
        #expect(PhysicalError(envelope: envelope) == .terminalPairNotFound)
        #expect(PhysicalError(exactly: "") == nil)
    }

    @Test("a Message without a dot skips the search, which is exact because every documented string has one")
    func messageWithoutADot() throws {
        #expect(PhysicalError.everyStringHasADot)
        for (message, expected) in [
            ("Success", nil), ("", nil), ("TerminalPairNotFound", nil),
            ("failed: TERMINAL.PAIR.NOTFOUND.", PhysicalError.terminalPairNotFound),
        ] as [(String, PhysicalError?)] {
            let body = try JSONValue.parse(#"{"ErrorCode":1,"Message":"\#(message)"}"#)
            let envelope = try #require(PaywallEnvelope(body))
            #expect(PhysicalError(envelope: envelope) == expected, "\(message)")
        }
    }

    @Test("every string has a documented treatment and the S2 ones match API-NOTES")
    func treatments() {
        #expect(PhysicalError.allCases.count == 32)
        #expect(PhysicalError.serverError.treatment == .serverError)
        #expect(PhysicalError.validationError.treatment == .fail)
        #expect(PhysicalError.authError.treatment == .pause)
        #expect(PhysicalError.pairAuthenticationFailed.treatment == .probeCredentials)
        #expect(PhysicalError.pairRequestNotFound.treatment == .fail)
        #expect(PhysicalError.pairAlreadyPaired.treatment == .fail)
        #expect(PhysicalError.pairConfirmNotCompleted.treatment == .retryLater)
        #expect(PhysicalError.cloudNotSendToDevice.treatment == .fail)
        #expect(PhysicalError.notConvenientStatusForThisOperation.treatment == .notConvenient)
        #expect(PhysicalError.alreadyHasRefundOrCancel.treatment == .alreadyCancelled)
        #expect(PhysicalError.merchantUniqueCodeAlreadyExists.treatment == .duplicateMerchantUniqueCode)
        #expect(PhysicalError.paymentRequestNotFound.treatment == .fail)
        for error in [
            PhysicalError.terminalNotFound, .terminalPairNotFound, .connectionNotConnected,
            .connectionIsAsyncPaymentNotActive,
        ] {
            #expect(error.treatment == .fail)
        }
    }
}
