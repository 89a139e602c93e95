import OutboxModel
import Testing

@testable import PaywallClient

/// Amounts are checked on the literal the producer wrote (issue 10: "sent anyway, though
/// invalid"): decimals, digits, exponent, sign; at the top level and on product lines.
@Suite("Amount validation")
struct AmountValidationTests {
    static func sale(_ amount: String) -> String { ValidationTests.sale(amount: amount) }

    /// A sale of 22.10 whose one product line has `amount`.
    static func line(_ amount: String) -> String {
        ValidationTests.sale(
            #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":\#(amount),"Quantity":1}]"#,
            amount: "22.10")
    }

    static let refused: [RefusalCase] = [
        RefusalCase("3 decimals", sale("22.105"), .tooManyDecimals, field: "Amount"),
        RefusalCase("7 decimals", sale("0.0000001"), .tooManyDecimals, field: "Amount"),
        RefusalCase("a trailing zero past 2 decimals", sale("22.100"), .tooManyDecimals, field: "Amount"),
        RefusalCase(
            "38 digits", sale(String(repeating: "9", count: 38)), .tooManyDigits, field: "Amount"),
        RefusalCase(
            "17 digits before the point", sale("1" + String(repeating: "0", count: 16)), .tooManyDigits,
            field: "Amount"),
        RefusalCase("exponent 1e2", sale("1e2"), .exponentNotation, field: "Amount"),
        RefusalCase("exponent 1E2", sale("1E2"), .exponentNotation, field: "Amount"),
        RefusalCase("exponent 1.5e1", sale("1.5e1"), .exponentNotation, field: "Amount"),
        RefusalCase("exponent 2200e-2", sale("2200e-2"), .exponentNotation, field: "Amount"),
        RefusalCase("a string", sale(#""22.10""#), .wrongType, field: "Amount"),
        RefusalCase("zero", sale("0"), .outOfRange, field: "Amount"),
        RefusalCase("negative zero", sale("-0.00"), .outOfRange, field: "Amount"),
        RefusalCase("negative", sale("-0.01"), .outOfRange, field: "Amount"),
        RefusalCase("product line: 3 decimals", line("22.105"), .tooManyDecimals, field: "Products[0].Amount"),
        RefusalCase("product line: 7 decimals", line("0.0000001"), .tooManyDecimals, field: "Products[0].Amount"),
        RefusalCase(
            "product line: 38 digits", line(String(repeating: "9", count: 38)), .tooManyDigits,
            field: "Products[0].Amount"),
        RefusalCase("product line: exponent", line("2.21E1"), .exponentNotation, field: "Products[0].Amount"),
        RefusalCase("product line: a string", line(#""22.10""#), .wrongType, field: "Products[0].Amount"),
        RefusalCase(
            "second product line", kind: .syncSale,
            ValidationTests.sale(
                #","Products":[{"Name":"a","TaxGroupId":20,"UnitCodeId":4,"Amount":1,"Quantity":1},{"Name":"b","TaxGroupId":20,"UnitCodeId":4,"Amount":1.5e1,"Quantity":1}]"#,
                amount: "16"),
            .exponentNotation, field: "Products[1].Amount"),
    ]

    @Test("refused, naming the field", arguments: refused)
    func refuses(testCase: RefusalCase) {
        testCase.expectRefused()
    }

    static let accepted: [(String, String)] = [
        ("exactly 2 decimals", sale("22.10")),
        ("1 decimal", sale("22.1")),
        ("no decimals", sale("22")),
        ("the smallest amount", sale("0.01")),
        ("16 digits and 2 decimals, the largest", sale("9999999999999999.99")),
        ("16 digits", sale("1" + String(repeating: "0", count: 15))),
        ("product lines at the boundaries", line("22.10")),
    ]

    @Test("accepted at the boundaries", arguments: accepted)
    func accepts(name: String, payload: String) {
        expectAccepted(name, payload)
    }

    @Test("the rule's limits: 2 decimals (every currency Paywall lists), 16 digits before the point")
    func limits() {
        #expect(AmountRule.maximumFractionDigits == 2)
        #expect(AmountRule.maximumIntegerDigits == 16)
        for currency in PaywallCurrency.allCases {
            #expect(currency.minorUnits == AmountRule.maximumFractionDigits, "\(currency.code)")
        }
    }

    @Test("the description says what is wrong and what is allowed")
    func descriptions() throws {
        let error = try #require(AmountRule.problem("22.105", field: "Products[0].Amount"))
        #expect(error.description.contains("3 decimals") && error.description.contains("at most 2"))
        let digits = try #require(AmountRule.problem(String(repeating: "9", count: 38), field: "Amount"))
        #expect(digits.description.contains("38 digits") && digits.description.contains("at most 16"))
    }
}
