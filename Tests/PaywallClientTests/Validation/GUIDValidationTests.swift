import OutboxModel
import Testing

@testable import PaywallClient

/// The all-zero GUID names nothing: refused in every GUID field and wherever a
/// PaymentRequestId is given.
@Suite("All-zero GUID")
struct GUIDValidationTests {
    static let zero = "00000000-0000-0000-0000-000000000000"
    static let tid = Fixtures.terminalId

    static let refused: [RefusalCase] = [
        RefusalCase(
            "MerchantUniqueCode",
            ValidationTests.sale().replacingOccurrences(of: Fixtures.merchantUniqueCode, with: zero), .nilGUID,
            field: "MerchantUniqueCode"),
        RefusalCase(
            "TerminalId", ValidationTests.sale(terminal: #""TerminalId":"\#(zero)","#), .nilGUID, field: "TerminalId"),
        RefusalCase(
            "TerminalId of a pair request", kind: .syncPairRequest, #"{"TerminalId":"\#(zero)"}"#, .nilGUID,
            field: "TerminalId"),
        RefusalCase(
            "PairAsyncRequestId", kind: .asyncPairConfirm, #"{"PairAsyncRequestId":"\#(zero)"}"#, .nilGUID,
            field: "PairAsyncRequestId"),
    ]

    @Test("refused, naming the field", arguments: refused)
    func refuses(testCase: RefusalCase) {
        testCase.expectRefused()
    }

    @Test("a follow-up's PaymentRequestId, the inquiry's and the activities' refuse it", arguments: CommandKind.allCases.filter { $0.role == .followUp })
    func paymentRequestId(kind: CommandKind) {
        #expect(throws: ValidationError(
            code: .nilGUID, field: "PaymentRequestId",
            description: "PaymentRequestId is the all-zero GUID (\(Self.zero)), which names nothing; an unset value is never sent")
        ) {
            try Fixtures.builder.build(kind: kind, payload: "{}", paymentRequestId: Self.zero)
        }
        #expect(throws: ValidationError.self) { try Fixtures.builder.paymentInquiry(paymentRequestId: Self.zero) }
        #expect(throws: ValidationError.self) {
            try Fixtures.builder.paymentActivities(paymentRequestId: Self.zero, pageIndex: 0, pageSize: 10)
        }
    }

    @Test("a GUID that only starts with zeros is fine")
    func nearlyZero() {
        expectAccepted(
            "TerminalId 00000000-0000-4000-8000-000000000001",
            ValidationTests.sale(terminal: #""TerminalId":"00000000-0000-4000-8000-000000000001","#))
    }
}
