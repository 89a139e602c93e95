import Foundation
import OutboxModel
import Testing

@testable import PaywallClient

/// Paywall's sale limits (S4), from the field tables of `docs/fiziksel-pos/6.-odeme/sync/1.-satis.md`
/// and `docs/fiziksel-pos/6.-odeme/async/1.-satis.md` (`paywallone/cursor-config`): each limit
/// passes, limit + 1 is refused with the field named.
@Suite("Sale limits (S4)")
struct SaleLimitTests {
    struct Limit: Sendable, CustomTestStringConvertible {
        var field: String
        var max: Int
        var testDescription: String { "\(field) ≤ \(max)" }
    }

    static let customerLimits: [Limit] = [
        Limit(field: "FirstName", max: 50), Limit(field: "MiddleName", max: 50), Limit(field: "LastName", max: 50),
        Limit(field: "TaxOfficeCode", max: 50), Limit(field: "CompanyName", max: 175),
        Limit(field: "TaxNumber", max: 25), Limit(field: "Phone", max: 20), Limit(field: "Email", max: 100),
        Limit(field: "Identity", max: 20), Limit(field: "Country", max: 50), Limit(field: "City", max: 100),
        Limit(field: "District", max: 100), Limit(field: "Neighborhood", max: 100), Limit(field: "Address", max: 255),
    ]

    static let product = #"{"Name":"Item","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":1}"#

    static func sale(_ extra: String = "", products: String? = nil, sync: Bool = false) -> String {
        let lines = products ?? "[\(product)]"
        return
            #"{"TerminalId":"\#(Fixtures.terminalId)","MerchantUniqueCode":"\#(Fixtures.merchantUniqueCode)","Amount":10,"CurrencyId":1,"Products":\#(lines)\#(extra)}"#
    }

    static func check(_ payload: String, kind: CommandKind = .asyncSale) -> ValidationError? {
        do {
            _ = try Fixtures.builder.build(kind: kind, payload: payload)
            return nil
        } catch {
            return error
        }
    }

    static func expectRefused(_ payload: String, field: String, kind: CommandKind = .asyncSale) {
        guard let error = check(payload, kind: kind) else {
            Issue.record("accepted: \(payload)")
            return
        }
        #expect(error.field == field, "\(error)")
        #expect(error.description.contains(field), "\(error.description)")
    }

    @Test("customer lengths: limit passes, limit + 1 refused", arguments: customerLimits)
    func customer(limit: Limit) {
        let ok = Self.sale(#","Customer":{"Type":2,"\#(limit.field)":"\#(String(repeating: "x", count: limit.max))"}"#)
        #expect(Self.check(ok) == nil)
        let long = Self.sale(
            #","Customer":{"Type":2,"\#(limit.field)":"\#(String(repeating: "x", count: limit.max + 1))"}"#)
        Self.expectRefused(long, field: "Customer.\(limit.field)")
    }

    @Test("Customer.Type required when Customer is sent; 0, 1, 2 only")
    func customerType() {
        Self.expectRefused(Self.sale(#","Customer":{"FirstName":"A"}"#), field: "Customer.Type")
        for type in [0, 1, 2] { #expect(Self.check(Self.sale(#","Customer":{"Type":\#(type)}"#)) == nil) }
        Self.expectRefused(Self.sale(#","Customer":{"Type":3}"#), field: "Customer.Type")
    }

    @Test("Products required and non-empty")
    func productsRequired() {
        let none =
            #"{"TerminalId":"\#(Fixtures.terminalId)","MerchantUniqueCode":"\#(Fixtures.merchantUniqueCode)","Amount":10,"CurrencyId":1}"#
        Self.expectRefused(none, field: "Products")
        Self.expectRefused(Self.sale(products: "[]"), field: "Products")
    }

    @Test("each product's required fields", arguments: ["Name", "TaxGroupId", "UnitCodeId", "Amount", "Quantity"])
    func productRequired(field: String) throws {
        var object = try JSONValue.parse(Self.product)
        guard case .object(let members) = object else { return }
        object = .object(members.filter { $0.key != field })
        Self.expectRefused(Self.sale(products: "[\(object.serialized())]"), field: "Products[0].\(field)")
    }

    @Test("product CurrencyId is optional (our choice: no example sends it)")
    func productCurrencyOptional() {
        #expect(Self.check(Self.sale()) == nil)
        #expect(
            Self.check(
                Self.sale(
                    products: #"[{"Name":"I","TaxGroupId":0,"UnitCodeId":1,"Amount":10,"Quantity":1,"CurrencyId":1}]"#))
                == nil)
    }

    @Test("product Name ≤ 75; TaxGroupId in 0, 1, 10, 20")
    func productLimits() {
        func line(name: String = "I", tax: Int = 20) -> String {
            #"[{"Name":"\#(name)","TaxGroupId":\#(tax),"UnitCodeId":4,"Amount":10,"Quantity":1}]"#
        }
        #expect(Self.check(Self.sale(products: line(name: String(repeating: "n", count: 75)))) == nil)
        Self.expectRefused(
            Self.sale(products: line(name: String(repeating: "n", count: 76))), field: "Products[0].Name")
        for tax in [0, 1, 10, 20] { #expect(Self.check(Self.sale(products: line(tax: tax))) == nil) }
        for tax in [2, 18, 21] {
            Self.expectRefused(Self.sale(products: line(tax: tax)), field: "Products[0].TaxGroupId")
        }
    }

    static func receipt(top: String = "T", topSize: Int = 10, bottom: String = "B", bottomSize: Int = 50) -> String {
        #","ReceiptOptions":{"TopSupport":true,"Top":{"Text":"\#(top)","FontSize":\#(topSize)},"BottomSupport":true,"Bottom":{"Text":"\#(bottom)","FontSize":\#(bottomSize)}}"#
    }

    @Test("ReceiptOptions: Text ≤ 150, FontSize at most 2 digits")
    func receiptLimits() {
        #expect(
            Self.check(Self.sale(Self.receipt(top: String(repeating: "t", count: 150), topSize: 99)), kind: .syncSale)
                == nil)
        Self.expectRefused(
            Self.sale(Self.receipt(top: String(repeating: "t", count: 151))), field: "ReceiptOptions.Top.Text",
            kind: .syncSale)
        Self.expectRefused(
            Self.sale(Self.receipt(bottomSize: 100)), field: "ReceiptOptions.Bottom.FontSize", kind: .syncSale)
    }

    @Test(
        "ReceiptOptions: all four members required when present",
        arguments: ["TopSupport", "Top", "BottomSupport", "Bottom"])
    func receiptMembers(member: String) throws {
        let full = try JSONValue.parse(String(Self.receipt().dropFirst().dropFirst(#""ReceiptOptions":"#.count)))
        guard case .object(let members) = full else { return }
        let without = JSONValue.object(members.filter { $0.key != member })
        Self.expectRefused(
            Self.sale(#","ReceiptOptions":\#(without.serialized())"#), field: "ReceiptOptions.\(member)",
            kind: .syncSale)
    }
}
