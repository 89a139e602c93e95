import OutboxModel
import Testing

@testable import PaywallClient

/// A key the catalog does not list is refused, the path named and the close known key
/// suggested (issue 10: a misspelt `CallbackAdress` silently meant no callbacks); the escape
/// hatch lets unknown keys through untouched, never a known key in another letter case.
@Suite("Unknown fields")
struct UnknownFieldTests {
    static func sale(_ extra: String) -> String { ValidationTests.sale(extra) }
    static let twoLines =
        #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":5,"Quantity":1},{"Nmae":"b","Name":"b","TaxGroupId":20,"UnitCodeId":4,"Amount":5,"Quantity":1}]"#

    static let refused: [RefusalCase] = [
        RefusalCase("misspelt CallbackAddress", sale(#","CallbackAdress":"https://m.test/cb""#), .unknownField, field: "CallbackAdress"),
        RefusalCase("misspelt key on the second product line", ValidationTests.sale(twoLines, amount: "10"), .unknownField, field: "Products[1].Nmae"),
        RefusalCase("unknown key in Customer", sale(#","Customer":{"Type":1,"Emial":"a@b.test"}"#), .unknownField, field: "Customer.Emial"),
        RefusalCase("unknown key in a Methods entry", sale(#","Methods":[{"PaymentMethodId":1,"Id":2}]"#), .unknownField, field: "Methods[0].Id"),
        RefusalCase("unknown key in ReceiptOptions.Top", kind: .syncSale, sale(#","ReceiptOptions":{"TopSupport":true,"Top":{"Text":"a","FontSize":10,"Bold":true},"BottomSupport":false,"Bottom":{"Text":"","FontSize":10}}"#), .unknownField, field: "ReceiptOptions.Top.Bold"),
        RefusalCase("a sync-only field on an async sale", sale(#","SendNotificationDeviceDisconnected":true"#), .unknownField, field: "SendNotificationDeviceDisconnected"),
        RefusalCase("unknown key on a follow-up", kind: .asyncCancel, #"{"Reason":"customer left"}"#, .unknownField, field: "Reason"),
        RefusalCase("Payout on the older approve route", kind: .marketplaceApprove, #"{"PaymentId":1,"Payout":{"DescriptionApply":true}}"#, .unknownField, field: "Payout"),
        RefusalCase("unknown key on a pair request", kind: .asyncPairRequest, #"{"TerminalTagCode":"t","Code":"x"}"#, .unknownField, field: "Code"),
        RefusalCase("null does not make an unknown key known", sale(#","Extra":null"#), .unknownField, field: "Extra"),
        RefusalCase("a known key in another case", sale(#","callbackAddress":"https://m.test/cb""#), .wrongCase, field: "callbackAddress"),
        RefusalCase("a known nested key in another case", sale(#","Customer":{"type":1}"#), .wrongCase, field: "Customer.type"),
    ]

    @Test("refused, naming the path", arguments: refused)
    func refuses(testCase: RefusalCase) {
        testCase.expectRefused()
    }

    @Test("the message suggests the known key when it is close")
    func suggestion() {
        func description(_ payload: String, kind: CommandKind = .asyncSale) -> String {
            do {
                _ = try Fixtures.builder.build(kind: kind, payload: payload, paymentRequestId: Fixtures.paymentRequestId(for: kind))
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(description(Self.sale(#","CallbackAdress":"x""#)).contains("did you mean CallbackAddress?"))
        #expect(description(ValidationTests.sale(Self.twoLines, amount: "10")).contains("did you mean Products[1].Name?"))
        #expect(description(Self.sale(#","DisplyCode":"x""#)).contains("did you mean DisplayCode?"))
        #expect(!description(Self.sale(#","Discount":"x""#)).contains("did you mean"))
        #expect(description(Self.sale(#","Discount":"x""#)).contains("--allow-unknown-fields"))
    }

    @Test("the escape hatch sends unknown keys untouched, at any depth")
    func passThrough() throws {
        let payload = Self.sale(#","NewPaywallField":{"anything":[1,"x"]},"Customer":{"Type":1,"Title":"Dr"}"#)
        let request = try Fixtures.passThroughBuilder.build(kind: .asyncSale, payload: payload)
        let body = try #require(request.bodyText)
        #expect(body.contains(#""NewPaywallField":{"anything":[1,"x"]}"#) && body.contains(#""Title":"Dr""#))
        // Known fields are still checked, and a case variant of a known key is still refused.
        RefusalCase("known field still checked", Self.sale(#","New":1,"DisplayCode":"\#(String(repeating: "d", count: 26))""#), .tooLong, field: "DisplayCode")
            .expectRefused(by: Fixtures.passThroughBuilder)
        RefusalCase("case variant still refused", Self.sale(#","amount":1"#), .wrongCase, field: "amount")
            .expectRefused(by: Fixtures.passThroughBuilder)
    }

    @Test("the validator's entry points take the policy (the simulator's path)")
    func validatorPolicy() throws {
        let body = try JSONValue.parse(Self.sale(#","Extra":1"#))
        #expect(throws: ValidationError.self) { try PaywallRequestValidator.validate(kind: .asyncSale, body: body) }
        try PaywallRequestValidator.validate(kind: .asyncSale, body: body, unknownFields: .passThrough)
    }

    @Test("edit distance: insert, delete, replace, swap")
    func distance() {
        #expect(KeySuggestion.closest(to: "Nmae", among: ["Name", "Amount"]) == "Name")
        #expect(KeySuggestion.closest(to: "CallbackAdress", among: ["CallbackAddress"]) == "CallbackAddress")
        #expect(KeySuggestion.closest(to: "Amountt", among: ["Amount"]) == "Amount")
        #expect(KeySuggestion.closest(to: "Ab", among: ["Amount"]) == nil)
        #expect(KeySuggestion.closest(to: "Discount", among: ["Amount", "DisplayCode"]) == nil)
    }
}
