import OutboxModel
import Testing

@testable import PaywallClient

/// `CurrencyId` is one of the currencies Paywall lists (`sistem-verileri/para-birimi.md`): an
/// amount's decimals are only known for those.
@Suite("Currency validation")
struct CurrencyValidationTests {
    static func sale(currency: String) -> String {
        ValidationTests.sale().replacingOccurrences(of: #""CurrencyId":1"#, with: #""CurrencyId":\#(currency)"#)
    }

    static let refused: [RefusalCase] = [
        RefusalCase("id 0", sale(currency: "0"), .outOfRange, field: "CurrencyId"),
        RefusalCase("id 8 (not listed)", sale(currency: "8"), .outOfRange, field: "CurrencyId"),
        RefusalCase("unknown code", sale(currency: #""XYZ""#), .outOfRange, field: "CurrencyId"),
        RefusalCase("code in lower case", sale(currency: #""try""#), .outOfRange, field: "CurrencyId"),
        RefusalCase("id 8 as a string", sale(currency: #""8""#), .outOfRange, field: "CurrencyId"),
        RefusalCase("empty string", sale(currency: #""""#), .outOfRange, field: "CurrencyId"),
        RefusalCase("a boolean", sale(currency: "true"), .wrongType, field: "CurrencyId"),
        RefusalCase(
            "product line currency not listed",
            ValidationTests.sale(
                #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":1,"CurrencyId":99}]"#),
            .outOfRange, field: "Products[0].CurrencyId"),
    ]

    @Test("refused, naming the field", arguments: refused)
    func refuses(testCase: RefusalCase) {
        testCase.expectRefused()
    }

    @Test("every listed currency, by id, id text and code", arguments: PaywallCurrency.allCases)
    func accepts(currency: PaywallCurrency) {
        expectAccepted("\(currency.rawValue)", Self.sale(currency: "\(currency.rawValue)"))
        expectAccepted("\"\(currency.rawValue)\"", Self.sale(currency: "\"\(currency.rawValue)\""))
        expectAccepted(currency.code, Self.sale(currency: "\"\(currency.code)\""))
    }

    @Test("Paywall's table: 1 TRY, 2 USD, 3 EUR, 4 BAM, 5 MKD, 6 ALL, 7 GBP")
    func table() {
        #expect(PaywallCurrency.allCases.map(\.code) == ["TRY", "USD", "EUR", "BAM", "MKD", "ALL", "GBP"])
        #expect(PaywallCurrency.allCases.map(\.rawValue) == Array(1...7))
    }
}
