import OutboxModel
import Testing

@testable import PaywallClient

/// JSON-level failures name the key and where it is, not only a byte offset (issue 10).
@Suite("JSON errors name the path")
struct JSONErrorPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var payload: String
        var code: JSONParseError.Code
        var field: String
        var says: String
        var testDescription: String { name }
    }

    static let deep = String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70)

    static let cases: [Case] = [
        Case(
            name: "duplicate key in a product line",
            payload: #"{"Amount":1,"Products":[{"Amount":1,"Name":"a","Amount":2}]}"#, code: .duplicateKey,
            field: "Products[0].Amount", says: #"duplicate key "Amount" at Products[0]"#),
        Case(
            name: "duplicate key at the top level", payload: #"{"Amount":1,"Amount":2}"#, code: .duplicateKey,
            field: "Amount", says: #"duplicate key "Amount" at the top level"#),
        Case(
            name: "lone surrogate in a value", payload: #"{"Products":[{"Name":"\ud800"}]}"#,
            code: .invalidUnicodeEscape, field: "Products[0].Name", says: "at Products[0].Name"),
        Case(
            name: "lone low surrogate in a key", payload: #"{"Customer":{"\udc00":1}}"#, code: .invalidUnicodeEscape,
            field: "Customer", says: "in a key of the object at Customer"),
        Case(
            name: "nested too deep", payload: deep, code: .tooDeep,
            field: Array(repeating: "a", count: 64).joined(separator: "."), says: "nested deeper than allowed at a.a.a"),
        Case(
            name: "raw control character in a value", payload: "{\"DisplayCode\":\"a\u{1}\"}",
            code: .controlCharacterInString, field: "DisplayCode", says: "at DisplayCode"),
        Case(
            name: "bad number in an array", payload: #"{"Methods":[{"PaymentMethodId":1},{"PaymentMethodId":01}]}"#,
            code: .invalidNumber, field: "Methods[1].PaymentMethodId", says: "at Methods[1].PaymentMethodId"),
    ]

    @Test("the parser's error carries the path", arguments: cases)
    func parser(testCase: Case) {
        do {
            _ = try JSONValue.parse(testCase.payload)
            Issue.record("parsed")
        } catch {
            #expect(error.code == testCase.code, "\(error)")
            #expect(error.field == testCase.field, "\(error)")
            #expect(error.description.contains(testCase.says), "\(error)")
            #expect(error.description.contains("(byte "), "\(error)")
        }
    }

    @Test("the builder's refusal names the field (what the worker stores as the inbox message)", arguments: cases)
    func builder(testCase: Case) {
        do {
            _ = try Fixtures.builder.build(kind: .asyncSale, payload: testCase.payload)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidJSON && error.field == testCase.field, "\(error)")
            #expect(error.description.contains(testCase.says), "\(error)")
        }
    }

    @Test("the validator's text entry point too")
    func validatorText() {
        do {
            try PaywallRequestValidator.validate(kind: .asyncSale, bodyText: Self.cases[0].payload)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidJSON && error.field == "Products[0].Amount", "\(error)")
        }
    }
}
