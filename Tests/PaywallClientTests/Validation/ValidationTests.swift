import Foundation
import OutboxModel
import Testing

@testable import PaywallClient

/// Each rule in a table: a payload that breaks exactly that rule, and the error it must give.
@Suite("Request validation")
struct ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var kind: CommandKind
        var payload: String
        var code: ValidationError.Code
        var field: String
        var testDescription: String { name }
    }

    static let muc = Fixtures.merchantUniqueCode
    static let tid = Fixtures.terminalId

    /// A valid async sale with `fields` spliced in after the basics.
    /// Carries one product line of the whole amount (Paywall requires Products, S4) unless
    /// `extra` brings its own.
    static func sale(_ extra: String = "", amount: String = "10", terminal: String? = nil) -> String {
        let terminalPart = terminal ?? #""TerminalId":"\#(tid)","#
        let products =
            extra.contains(#""Products""#)
            ? "" : #","Products":[{"Name":"Item","TaxGroupId":20,"UnitCodeId":4,"Amount":\#(amount),"Quantity":1}]"#
        return
            #"{\#(terminalPart)"MerchantUniqueCode":"\#(muc)","Amount":\#(amount),"CurrencyId":1\#(products)\#(extra)}"#
    }

    static let cases: [Case] = [
        Case(name: "not an object", kind: .asyncSale, payload: "[1]", code: .notAnObject, field: ""),
        Case(name: "not JSON", kind: .asyncSale, payload: "{", code: .invalidJSON, field: ""),
        Case(
            name: "MerchantUniqueCode missing", kind: .asyncSale,
            payload: #"{"TerminalId":"\#(tid)","Amount":1,"CurrencyId":1}"#, code: .missingField,
            field: "MerchantUniqueCode"),
        Case(
            name: "MerchantUniqueCode null", kind: .syncSale,
            payload: #"{"TerminalId":"\#(tid)","MerchantUniqueCode":null,"Amount":1,"CurrencyId":1}"#,
            code: .missingField, field: "MerchantUniqueCode"),
        Case(
            name: "MerchantUniqueCode not a GUID", kind: .asyncSale,
            payload: #"{"TerminalId":"\#(tid)","MerchantUniqueCode":"order-17","Amount":1,"CurrencyId":1}"#,
            code: .invalidGUID, field: "MerchantUniqueCode"),
        Case(
            name: "MerchantUniqueCode a number", kind: .asyncSale,
            payload: #"{"TerminalId":"\#(tid)","MerchantUniqueCode":17,"Amount":1,"CurrencyId":1}"#,
            code: .wrongType, field: "MerchantUniqueCode"),
        Case(
            name: "TerminalId not a GUID", kind: .asyncSale,
            payload: sale(terminal: #""TerminalId":"1111-2222","#), code: .invalidGUID, field: "TerminalId"),
        Case(
            name: "neither TerminalId nor TerminalTagCode", kind: .asyncSale, payload: sale(terminal: ""),
            code: .exactlyOneOf, field: "TerminalId|TerminalTagCode"),
        Case(
            name: "both TerminalId and TerminalTagCode", kind: .syncSale,
            payload: sale(terminal: #""TerminalId":"\#(tid)","TerminalTagCode":"t1","#), code: .exactlyOneOf,
            field: "TerminalId|TerminalTagCode"),
        Case(
            name: "TerminalTagCode 26 chars", kind: .asyncSale,
            payload: sale(terminal: #""TerminalTagCode":"\#(String(repeating: "t", count: 26))","#),
            code: .tooLong, field: "TerminalTagCode"),
        Case(
            name: "TerminalTagCode empty", kind: .asyncSale, payload: sale(terminal: #""TerminalTagCode":"","#),
            code: .empty, field: "TerminalTagCode"),
        Case(
            name: "TerminalTagCode blank", kind: .asyncSale, payload: sale(terminal: #""TerminalTagCode":"  ","#),
            code: .empty, field: "TerminalTagCode"),
        Case(
            name: "TerminalTagCode of no-break and ideographic spaces", kind: .asyncSale,
            payload: sale(terminal: #""TerminalTagCode":"\u00a0\u3000","#), code: .empty, field: "TerminalTagCode"),
        Case(
            name: "Amount missing", kind: .asyncSale,
            payload: #"{"TerminalId":"\#(tid)","MerchantUniqueCode":"\#(muc)","CurrencyId":1}"#, code: .missingField,
            field: "Amount"),
        Case(name: "Amount zero", kind: .asyncSale, payload: sale(amount: "0.00"), code: .outOfRange, field: "Amount"),
        Case(
            name: "Amount negative", kind: .asyncSale, payload: sale(amount: "-5"), code: .outOfRange, field: "Amount"),
        Case(
            name: "Amount a string", kind: .asyncSale, payload: sale(amount: #""10.00""#), code: .wrongType,
            field: "Amount"),
        Case(
            name: "Amount too precise", kind: .asyncSale,
            payload: sale(amount: "1.000000000000000000000000000000000000001"),
            code: .tooManyDecimals, field: "Amount"),
        Case(
            name: "CurrencyId missing", kind: .asyncSale,
            payload: #"{"TerminalId":"\#(tid)","MerchantUniqueCode":"\#(muc)","Amount":1}"#, code: .missingField,
            field: "CurrencyId"),
        Case(
            name: "CurrencyId a fraction", kind: .asyncSale,
            payload: sale().replacingOccurrences(of: #""CurrencyId":1"#, with: #""CurrencyId":1.5"#), code: .wrongType,
            field: "CurrencyId"),
        Case(
            name: "DisplayCode 26 chars", kind: .asyncSale,
            payload: sale(#","DisplayCode":"\#(String(repeating: "d", count: 26))""#), code: .tooLong,
            field: "DisplayCode"),
        Case(
            name: "CallbackAddress 151 chars", kind: .syncSale,
            payload: sale(#","CallbackAddress":"https://\#(String(repeating: "c", count: 143))""#), code: .tooLong,
            field: "CallbackAddress"),
        Case(
            name: "SendNotificationDeviceDisconnected not a bool", kind: .syncSale,
            payload: sale(#","SendNotificationDeviceDisconnected":"yes""#), code: .wrongType,
            field: "SendNotificationDeviceDisconnected"),
        Case(
            name: "Methods entry without PaymentMethodId", kind: .asyncSale, payload: sale(#","Methods":[{}]"#),
            code: .missingField, field: "Methods[0].PaymentMethodId"),
        Case(
            name: "Customer not an object", kind: .asyncSale, payload: sale(#","Customer":"Ayşe""#),
            code: .notAnObject, field: "Customer"),
        Case(
            name: "Customer.FirstName 51 chars", kind: .asyncSale,
            payload: sale(#","Customer":{"Type":1,"FirstName":"\#(String(repeating: "a", count: 51))"}"#), code: .tooLong,
            field: "Customer.FirstName"),
        Case(
            name: "Customer.Email 101 chars", kind: .asyncSale,
            payload: sale(#","Customer":{"Type":1,"Email":"\#(String(repeating: "e", count: 101))"}"#), code: .tooLong,
            field: "Customer.Email"),
        Case(
            name: "Customer.Identity 21 chars", kind: .asyncSale,
            payload: sale(#","Customer":{"Type":1,"Identity":"\#(String(repeating: "1", count: 21))"}"#), code: .tooLong,
            field: "Customer.Identity"),
        Case(
            name: "Products empty", kind: .asyncSale, payload: sale(#","Products":[]"#), code: .empty,
            field: "Products"),
        Case(
            name: "product Name missing", kind: .asyncSale, payload: sale(#","Products":[{"Amount":10,"Quantity":1}]"#),
            code: .missingField, field: "Products[0].Name"),
        Case(
            name: "product Name 76 chars", kind: .asyncSale,
            payload: sale(
                #","Products":[{"Name":"\#(String(repeating: "n", count: 76))","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":1}]"#
            ),
            code: .tooLong, field: "Products[0].Name"),
        Case(
            name: "product Quantity zero", kind: .asyncSale,
            payload: sale(#","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":0}]"#), code: .outOfRange,
            field: "Products[0].Quantity"),
        Case(
            name: "product Quantity fractional", kind: .asyncSale,
            payload: sale(#","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":1.5}]"#), code: .wrongType,
            field: "Products[0].Quantity"),
        Case(
            name: "product Amount negative", kind: .asyncSale,
            payload: sale(#","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":-10,"Quantity":1}]"#), code: .outOfRange,
            field: "Products[0].Amount"),
        Case(
            name: "products do not add up", kind: .asyncSale,
            payload: sale(#","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":3.33,"Quantity":3}]"#), code: .productTotalMismatch,
            field: "Products"),
        Case(
            name: "a floating-point sum as the amount (0.1 + 0.2): too many decimals", kind: .asyncSale,
            payload: sale(
                #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":0.1,"Quantity":1},{"Name":"b","TaxGroupId":20,"UnitCodeId":4,"Amount":0.2,"Quantity":1}]"#,
                amount: "0.30000000000000004"),
            code: .tooManyDecimals, field: "Amount"),
        Case(
            name: "products one cent short", kind: .asyncSale,
            payload: sale(
                #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":0.1,"Quantity":1},{"Name":"b","TaxGroupId":20,"UnitCodeId":4,"Amount":0.19,"Quantity":1}]"#,
                amount: "0.30"),
            code: .productTotalMismatch, field: "Products"),
        Case(
            name: "ReceiptOptions.Top.FontSize not an integer", kind: .syncSale,
            payload: sale(#","ReceiptOptions":{"TopSupport":true,"Top":{"Text":"hi","FontSize":"big"}}"#),
            code: .wrongType, field: "ReceiptOptions.Top.FontSize"),
        Case(
            name: "known field in wrong case", kind: .asyncSale, payload: sale(#","displayCode":"x""#),
            code: .wrongCase,
            field: "displayCode"),
        Case(
            name: "follow-up payload carries PaymentRequestId", kind: .asyncCancel,
            payload: #"{"PaymentRequestId":"\#(Fixtures.paymentRequestId)"}"#, code: .forbiddenField,
            field: "PaymentRequestId"),
        Case(
            name: "follow-up payload carries paymentrequestid", kind: .syncSaleRollback,
            payload: #"{"paymentrequestid":"x"}"#, code: .forbiddenField, field: "PaymentRequestId"),
        Case(
            name: "pair request without terminal", kind: .asyncPairRequest, payload: "{}", code: .exactlyOneOf,
            field: "TerminalId|TerminalTagCode"),
        Case(
            name: "sync pair request with both", kind: .syncPairRequest,
            payload: #"{"TerminalId":"\#(tid)","TerminalTagCode":"a"}"#, code: .exactlyOneOf,
            field: "TerminalId|TerminalTagCode"),
        Case(
            name: "pair confirm without id", kind: .asyncPairConfirm, payload: "{}", code: .missingField,
            field: "PairAsyncRequestId"),
        Case(
            name: "pair confirm id not a GUID", kind: .asyncPairConfirm, payload: #"{"PairAsyncRequestId":"abc"}"#,
            code: .invalidGUID, field: "PairAsyncRequestId"),
        Case(
            name: "approve without PaymentId", kind: .marketplaceApprove, payload: "{}", code: .missingField,
            field: "PaymentId"),
        Case(
            name: "approve PaymentId zero", kind: .marketplaceApprove, payload: #"{"PaymentId":0}"#, code: .outOfRange,
            field: "PaymentId"),
        Case(
            name: "approve PaymentId fractional", kind: .marketplaceApprove, payload: #"{"PaymentId":12.5}"#,
            code: .wrongType, field: "PaymentId"),
        Case(
            name: "approve PaymentId a string", kind: .marketplaceApprove, payload: #"{"PaymentId":"12"}"#,
            code: .wrongType, field: "PaymentId"),
    ]

    @Test("each rule refuses its case and names the field", arguments: cases)
    func refuses(testCase: Case) {
        do {
            _ = try Fixtures.builder.build(
                kind: testCase.kind, payload: testCase.payload,
                paymentRequestId: Fixtures.paymentRequestId(for: testCase.kind))
            Issue.record("accepted: \(testCase.payload)")
        } catch {
            #expect(error.code == testCase.code, "\(error)")
            #expect(error.field == testCase.field, "\(error)")
            if !testCase.field.isEmpty {
                let named = testCase.field.split(separator: "|").allSatisfy { error.description.contains($0) }
                #expect(named, "description must name the field: \(error.description)")
            }
        }
    }

    static let accepted: [(String, CommandKind, String)] = [
        ("exact products: 5.05 × 2 + 12.00 = 22.10", .asyncSale, Fixtures.asyncSale),
        (
            "products 0.1 + 0.2 = 0.3 exactly", .asyncSale,
            sale(
                #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":0.1,"Quantity":1},{"Name":"b","TaxGroupId":20,"UnitCodeId":4,"Amount":0.2,"Quantity":1}]"#,
                amount: "0.3")
        ),
        (
            "products 3.33 × 3 = 9.99", .asyncSale,
            sale(#","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":3.33,"Quantity":3}]"#, amount: "9.99")
        ),
        (
            "TerminalTagCode of 25 chars", .syncSale,
            sale(terminal: #""TerminalTagCode":"\#(String(repeating: "t", count: 25))","#)
        ),
        ("optional fields null", .asyncSale, sale(#","DisplayCode":null,"Customer":null,"ReceiptOptions":null"#)),
        (
            "TerminalTagCode null with TerminalId", .asyncSale,
            sale(terminal: #""TerminalId":"\#(tid)","TerminalTagCode":null,"#)
        ),
        (
            "25 two-byte characters in DisplayCode", .asyncSale,
            sale(#","DisplayCode":"\#(String(repeating: "ş", count: 25))""#)
        ),
        ("CurrencyId as string", .syncSale, Fixtures.syncSale),
        ("uppercase GUID", .asyncSale, sale().replacingOccurrences(of: muc, with: muc.uppercased())),
    ]

    @Test("pw and self approve take Payout")
    func approvePayout() throws {
        for variant in [MarketplaceApproveVariant.paywallCalculator, .platformCalculator] {
            let builder = PaywallRequestBuilder(configuration: Fixtures.configuration(approveVariant: variant))
            _ = try builder.build(kind: .marketplaceApprove, payload: #"{"PaymentId":1,"Payout":{"DescriptionApply":true}}"#)
        }
    }

    @Test("valid payloads pass", arguments: accepted)
    func accepts(name: String, kind: CommandKind, payload: String) {
        #expect(throws: Never.self, "\(name)") {
            try Fixtures.builder.build(
                kind: kind, payload: payload, paymentRequestId: Fixtures.paymentRequestId(for: kind))
        }
    }

    @Test("follow-ups need a GUID PaymentRequestId; others refuse one")
    func paymentRequestIdArgument() {
        for kind in CommandKind.allCases where kind.role == .followUp {
            #expect(throws: ValidationError.self) { try Fixtures.builder.build(kind: kind, payload: "{}") }
            #expect(throws: ValidationError.self) {
                try Fixtures.builder.build(kind: kind, payload: "{}", paymentRequestId: "not-a-guid")
            }
        }
        #expect(throws: ValidationError.self) {
            try Fixtures.builder.build(
                kind: .marketplaceApprove, payload: #"{"PaymentId":1}"#, paymentRequestId: Fixtures.paymentRequestId)
        }
    }

    @Test("the simulator's entry point validates complete bodies")
    func validatorEntryPoint() throws {
        try PaywallRequestValidator.validate(
            kind: .asyncCancel, body: ["PaymentRequestId": .string(Fixtures.paymentRequestId)])
        #expect(throws: ValidationError.self) {
            try PaywallRequestValidator.validate(kind: .asyncCancel, body: [:])
        }
        #expect(throws: ValidationError.self) {
            try PaywallRequestValidator.validate(kind: .asyncSale, bodyText: "{]")
        }
        try PaywallRequestValidator.validate(kind: .asyncSale, bodyText: Fixtures.asyncSale)
    }

    @Test(
        "payment list dates",
        arguments: [
            ("2026-11-20", "2026-11-21", true), ("2024-02-29", "2024-02-29", true), ("2023-02-29", "2023-03-01", false),
            ("2026-1-20", "2026-11-21", false), ("2026-11-22", "2026-11-21", false), ("20261120", "2026-11-21", false),
        ])
    func listDates(start: String, end: String, valid: Bool) {
        let result = Result { () throws(ValidationError) in
            try Fixtures.builder.paymentList(pageIndex: 0, pageSize: 10, startDate: start, endDate: end)
        }
        if valid {
            #expect(throws: Never.self) { try result.get() }
        } else {
            #expect(throws: ValidationError.self) { try result.get() }
        }
    }

    @Test("payment list paging bounds")
    func listPaging() {
        #expect(throws: ValidationError.self) {
            try Fixtures.builder.paymentList(
                pageIndex: -1, pageSize: 10, startDate: "2026-01-01", endDate: "2026-01-01")
        }
        #expect(throws: ValidationError.self) {
            try Fixtures.builder.paymentList(pageIndex: 0, pageSize: 0, startDate: "2026-01-01", endDate: "2026-01-01")
        }
    }

    @Test("inquiry refuses a non-GUID id")
    func inquiryId() {
        #expect(throws: ValidationError.self) { try Fixtures.builder.paymentInquiry(paymentRequestId: "../../admin") }
    }
}
