import OutboxModel
import Testing

@testable import PaywallClient

/// Control, bidirectional and invisible characters (issue 10): never sent, the field named.
/// Everywhere: C0/C1 controls, DEL, bidi controls, U+2028/2029, U+FEFF. Identifiers and keys:
/// also every invisible character.
@Suite("Characters in strings")
struct TextValidationTests {
    static func sale(_ extra: String) -> String { ValidationTests.sale(extra) }
    static func tag(_ text: String) -> String { ValidationTests.sale(terminal: #""TerminalTagCode":"\#(text)","#) }
    static func productName(_ name: String) -> String {
        sale(#","Products":[{"Name":"\#(name)","TaxGroupId":20,"UnitCodeId":4,"Amount":10,"Quantity":1}]"#)
    }

    static let refused: [RefusalCase] = [
        // Everywhere.
        RefusalCase("NUL in TerminalTagCode", tag(#"till\u00007"#), .forbiddenCharacter, field: "TerminalTagCode"),
        RefusalCase("NUL in a product name", productName(#"Tea\u0000"#), .forbiddenCharacter, field: "Products[0].Name"),
        RefusalCase("newline in a product name", productName(#"Tea\nCake"#), .forbiddenCharacter, field: "Products[0].Name"),
        RefusalCase("tab in DisplayCode", sale(#","DisplayCode":"T\t1""#), .forbiddenCharacter, field: "DisplayCode"),
        RefusalCase("DEL in Customer.FirstName", sale(#","Customer":{"Type":1,"FirstName":"A\u007F"}"#), .forbiddenCharacter, field: "Customer.FirstName"),
        RefusalCase("C1 NEL in Customer.Address", sale(#","Customer":{"Type":1,"Address":"x\u0085y"}"#), .forbiddenCharacter, field: "Customer.Address"),
        RefusalCase("RLO in a product name", productName(#"\u202Eetar"#), .forbiddenCharacter, field: "Products[0].Name"),
        RefusalCase("LRI in receipt text", kind: .syncSale, sale(#","ReceiptOptions":{"TopSupport":true,"Top":{"Text":"a\u2066b","FontSize":10},"BottomSupport":false,"Bottom":{"Text":"","FontSize":10}}"#), .forbiddenCharacter, field: "ReceiptOptions.Top.Text"),
        RefusalCase("RLM in DisplayCode", sale(#","DisplayCode":"A\u200F""#), .forbiddenCharacter, field: "DisplayCode"),
        RefusalCase("ALM in Customer.City", sale(#","Customer":{"Type":1,"City":"\u061CIzmir"}"#), .forbiddenCharacter, field: "Customer.City"),
        RefusalCase("BOM in a product name", productName(#"\uFEFFTea"#), .forbiddenCharacter, field: "Products[0].Name"),
        RefusalCase("line separator in a product name", productName(#"Tea\u2028"#), .forbiddenCharacter, field: "Products[0].Name"),
        RefusalCase("noncharacter in Customer.LastName", sale(#","Customer":{"Type":1,"LastName":"\uFFFF"}"#), .forbiddenCharacter, field: "Customer.LastName"),
        // Identifiers: invisible characters too.
        RefusalCase("zero-width space in TerminalTagCode", tag(#"till\u200B7"#), .forbiddenCharacter, field: "TerminalTagCode"),
        RefusalCase("raw zero-width space in TerminalTagCode", tag("till\u{200B}7"), .forbiddenCharacter, field: "TerminalTagCode"),
        RefusalCase("zero-width joiner in DisplayCode", sale(#","DisplayCode":"T\u200D1""#), .forbiddenCharacter, field: "DisplayCode"),
        RefusalCase("soft hyphen in DisplayCode", sale(#","DisplayCode":"T\u00AD1""#), .forbiddenCharacter, field: "DisplayCode"),
        RefusalCase("word joiner in CallbackAddress", sale(#","CallbackAddress":"https://a.test/\u2060cb""#), .forbiddenCharacter, field: "CallbackAddress"),
        RefusalCase("zero-width space in Customer.Email", sale(#","Customer":{"Type":1,"Email":"a\u200B@b.test"}"#), .forbiddenCharacter, field: "Customer.Email"),
        RefusalCase("Hangul filler in Customer.TaxNumber", sale(#","Customer":{"Type":1,"TaxNumber":"\u3164"}"#), .forbiddenCharacter, field: "Customer.TaxNumber"),
        RefusalCase("zero-width space in a pair request's tag", kind: .asyncPairRequest, #"{"TerminalTagCode":"t\u200C"}"#, .forbiddenCharacter, field: "TerminalTagCode"),
        // Keys.
        RefusalCase("zero-width space in a key", sale(#","Display\u200BCode":"x""#), .forbiddenCharacter, field: #"Display\u{200B}Code"#),
        RefusalCase("NUL in a nested key", sale(#","Customer":{"Type":1,"\u0000":"x"}"#), .forbiddenCharacter, field: #"Customer.\u{0}"#),
    ]

    @Test("refused, naming the field", arguments: refused)
    func refuses(testCase: RefusalCase) {
        testCase.expectRefused()
    }

    @Test("also in fields passed through untouched")
    func unknownFieldsToo() {
        RefusalCase("NUL in an unknown field", Self.sale(#","NewField":{"x":["ok","a\u0000"]}"#), .forbiddenCharacter, field: "NewField.x[1]")
            .expectRefused(by: Fixtures.passThroughBuilder)
        RefusalCase("RLO in an unknown key", Self.sale(#","New\u202EField":1"#), .forbiddenCharacter, field: #"New\u{202E}Field"#)
            .expectRefused(by: Fixtures.passThroughBuilder)
    }

    static let accepted: [(String, String)] = [
        ("Turkish letters and spaces everywhere", tag("Kasa İş-7") + ""),
        ("DisplayCode as Paywall's example", sale(#","DisplayCode":"Kişisel Bakım""#)),
        ("zero-width joiner in a product name (free text)", productName(#"👩\u200D💻 Desk"#)),
        ("soft hyphen in a product name (free text)", productName(#"Ein\u00ADtritt"#)),
        ("Arabic letters in a customer name", sale(#","Customer":{"Type":1,"FirstName":"سارا"}"#)),
        ("an empty optional free text", sale(#","Customer":{"Type":1,"MiddleName":""}"#)),
    ]

    @Test("accepted", arguments: accepted)
    func accepts(name: String, payload: String) {
        expectAccepted(name, payload)
    }

    @Test("the rule, scalar by scalar")
    func scalars() {
        let everywhere: [UInt32] = [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0x9F, 0x061C, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0x2028, 0x2029, 0xFEFF, 0xFFFE]
        for value in everywhere {
            let scalar = Unicode.Scalar(value)!
            #expect(TextRule.refusal(of: scalar, kind: .freeText) != nil, "\(PathText.codePoint(scalar))")
            #expect(TextRule.refusal(of: scalar, kind: .identifier) != nil, "\(PathText.codePoint(scalar))")
        }
        let invisible: [UInt32] = [0x00AD, 0x034F, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0x2064, 0x115F, 0x3164, 0xFE0F, 0xE0041]
        for value in invisible {
            let scalar = Unicode.Scalar(value)!
            #expect(TextRule.refusal(of: scalar, kind: .freeText) == nil, "\(PathText.codePoint(scalar))")
            #expect(TextRule.refusal(of: scalar, kind: .identifier) == .invisible, "\(PathText.codePoint(scalar))")
        }
        for text in ["a", " ", "~", "ş", "İ", "€", "中", "😀"] {
            #expect(TextRule.firstRefused(in: text, kind: .identifier) == nil, "\(text)")
        }
    }

    @Test("field names: the printable-ASCII fast path gives what the scalar-by-scalar path gives")
    func printableFastPath() {
        let texts = [
            "", "Amount", "Products[1].Name", "a b", "~", String(repeating: "k", count: PathText.keyLimit),
            String(repeating: "k", count: PathText.keyLimit + 1), String(repeating: "é", count: 10), "Tab\there",
            "zero\u{200B}width", "del\u{7F}", "Ünïcode", "emoji 🙂", String(repeating: "x", count: 300),
        ]
        for text in texts {
            for limit in [PathText.keyLimit, PathText.pathLimit, 5] {
                #expect(
                    PathText.printable(text, limit: limit) == PathText.escapedAndShortened(text, limit: limit),
                    "\(text.debugDescription) at \(limit)")
            }
        }
    }

    @Test("the description names the character and where it is")
    func description() {
        do {
            _ = try Fixtures.builder.build(kind: .asyncSale, payload: Self.tag(#"ab\u200Bc"#))
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("U+200B") && error.description.contains("character 3"), "\(error)")
        }
    }
}
