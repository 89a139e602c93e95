import Foundation
import Testing

@testable import PaywallClient

@Suite("JSONValue exactness")
struct JSONValueTests {
    @Test(
        "round trip keeps the text exactly",
        arguments: [
            #"{"Amount":22.10}"#,
            #"{"Amount":1e2}"#,
            #"{"Amount":1E+2,"b":-0.5e-3}"#,
            #"{"z":1,"a":2,"m":3}"#,
            #"[1,2.50,-0,0.0,123456789012345678901234567890.123456789]"#,
            #"{"nested":{"b":[true,false,null],"a":{}},"e":[]}"#,
            #"{"s":"plain \"quoted\" back\\slash"}"#,
            #"{"tab":"a\tb\nc\rd\b\f"}"#,
            #"{"ctl":"\u0001\u001f"}"#,
            #"{"ü":"İstanbul çay ğ ş"}"#,
        ])
    func roundTrip(text: String) throws {
        let value = try JSONValue.parse(text)
        #expect(value.serialized() == text)
        #expect(try JSONValue.parse(bytes: Array(text.utf8)) == value)
    }

    @Test("22.10 is kept as its literal, never a Double")
    func amountLiteral() throws {
        let value = try JSONValue.parse(#"{"Amount": 22.10}"#)
        #expect(value["Amount"] == .number("22.10"))
        #expect(value.serialized() == #"{"Amount":22.10}"#)
        #expect(value["Amount"]?.decimalValue == Decimal(string: "22.1", locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test("1e2 stays 1e2 and its decimal value is 100")
    func exponentLiteral() throws {
        let value = try JSONValue.parse("1e2")
        #expect(value == .number("1e2"))
        #expect(value.serialized() == "1e2")
        #expect(value.decimalValue == Decimal(100))
    }

    @Test("object key order is kept")
    func keyOrder() throws {
        let value = try JSONValue.parse(#"{"b":1,"a":2,"c":3}"#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a", "c"])
        let literal: JSONValue = ["z": 1, "y": "two", "x": [true, nil]]
        #expect(literal.serialized() == #"{"z":1,"y":"two","x":[true,null]}"#)
    }

    @Test("unicode escapes decode, including surrogate pairs; output is UTF-8")
    func unicodeEscapes() throws {
        let value = try JSONValue.parse(#"["\u00e9","\ud83d\ude00","\u0130","a\/b"]"#)
        #expect(value == ["é", "😀", "İ", "a/b"])
        #expect(value.serialized() == #"["é","😀","İ","a/b"]"#)
    }

    @Test("case-insensitive lookup; exact match wins")
    func caseInsensitiveLookup() throws {
        let value = try JSONValue.parse(#"{"result":{"paymentStatus":4},"Message":"x"}"#)
        #expect(value["Result"]?["PaymentStatus"] == .number("4"))
        #expect(value["MESSAGE"] == .string("x"))
        #expect(value.value(forExactKey: "Result") == nil)
        let both = try JSONValue.parse(#"{"result":1,"Result":2}"#)
        #expect(both["Result"] == .number("2"))
        #expect(both["RESULT"] == .number("1"))
    }

    @Test("key matching ignores case exactly as lowercased() does, ASCII fast path or not")
    func equalIgnoringCaseAgreesWithLowercased() throws {
        // Every text of up to two characters from letters whose lowercase is ASCII, is another
        // length (İ), is one only through Unicode (U+212A KELVIN SIGN → k), or combines (é as
        // one scalar and as e + U+0301): the fast path must say what lowercased() says.
        let alphabet = ["a", "A", "k", "K", "\u{212A}", "e", "\u{301}", "\u{E9}", "\u{130}", "i", "\u{DF}", "s", "1"]
        var texts = [""]
        texts += alphabet
        texts += alphabet.flatMap { first in alphabet.map { first + $0 } }
        for a in texts {
            for b in texts {
                #expect(
                    JSONValue.equalIgnoringCase(a, b) == (a.lowercased() == b.lowercased()),
                    "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
            }
        }
        let kelvin = try JSONValue.parse(#"{"Ta\#u{212A}eId":7}"#)
        #expect(kelvin["takeid"] == .number("7"))
        #expect(kelvin.keys(matching: "TAKEID") == ["Ta\u{212A}eId"])
        let prefixes = try JSONValue.parse(#"{"Results":1,"Resul":2}"#)
        #expect(prefixes["result"] == nil)
    }

    @Test("an amount built from its digits is the Decimal its text parses to: same value, same text")
    func plainDecimalsMatchTheGeneralPath() throws {
        let posix = Locale(identifier: "en_US_POSIX")
        var literals: [String] = []
        for whole in ["0", "1", "5", "10", "22", "100", "999999", "1234567890123456789", "9999999999999999999"] {
            for fraction in ["", ".0", ".00", ".1", ".10", ".01", ".5", ".50", ".000001", ".123456789"] {
                literals += [whole + fraction, "-" + whole + fraction]
            }
        }
        literals += ["0.0000000001", "12345678901234567890", "1234567890.123456789", "1e2", "1.5E-3"]
        // The longest fraction the plain path takes, and ones past Decimal's exponent range.
        literals.append("0." + String(repeating: "0", count: 37) + "1")
        var plainCount = 0
        for literal in literals {
            let general = try #require(Decimal(string: literal, locale: posix), "\(literal)")
            if let plain = ExactDecimal.plain(literal) {
                plainCount += 1
                #expect(plain == general, "\(literal)")
                #expect(plain.description == general.description, "\(literal)")
                #expect(plain.isSignMinus == general.isSignMinus || plain.isZero, "\(literal)")
            }
            #expect(ExactDecimal.parse(literal) == general || literal.count > 38, "\(literal)")
        }
        // Exponents and more than 19 significant digits take the general path.
        #expect(ExactDecimal.plain("1e2") == nil)
        #expect(ExactDecimal.plain("12345678901234567890") == nil)
        #expect(ExactDecimal.plain("1234567890123456789.5") == nil)
        for zeros in [38, 127, 128, 129, 200] {
            let tiny = "0." + String(repeating: "0", count: zeros) + "1"
            #expect(ExactDecimal.plain(tiny) == nil, "\(zeros) zeros")
            #expect(ExactDecimal.parse(tiny) == Decimal(string: tiny, locale: posix), "\(zeros) zeros")
            #expect(ExactDecimal.parse(tiny) != 0, "\(zeros) zeros")
        }
        #expect(plainCount >= 140)
    }

    @Test("setting inserts first, or replaces in place")
    func setting() throws {
        let value = try JSONValue.parse(#"{"a":1,"b":2}"#)
        #expect(value.setting("P", to: "x").serialized() == #"{"P":"x","a":1,"b":2}"#)
        #expect(value.setting("b", to: 3).serialized() == #"{"a":1,"b":3}"#)
    }

    @Test(
        "strict parser refuses bad input",
        arguments: [
            ("", JSONParseError.Code.unexpectedEnd),
            ("{} x", .trailingData),
            ("[1,]", .unexpectedCharacter),
            ("{\"a\":1,}", .unexpectedCharacter),
            ("01", .invalidNumber),
            ("1.", .invalidNumber),
            (".5", .unexpectedCharacter),
            ("1e", .invalidNumber),
            ("+1", .unexpectedCharacter),
            ("NaN", .unexpectedCharacter),
            ("\"\\x\"", .invalidEscape),
            ("\"\\u12G4\"", .invalidEscape),
            ("\"\\ud800\"", .invalidUnicodeEscape),
            ("\"\\udc00\"", .invalidUnicodeEscape),
            ("\"a\nb\"", .controlCharacterInString),
            ("\"abc", .unexpectedEnd),
            ("{\"a\":1,\"a\":2}", .duplicateKey),
            ("tru", .unexpectedEnd),
            ("nul1", .unexpectedCharacter),
            ("// c\n{}", .unexpectedCharacter),
            ("{'a':1}", .unexpectedCharacter),
        ])
    func refuses(text: String, code: JSONParseError.Code) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.code == code, "\(text)")
        }
    }

    /// Small objects compare keys one by one, larger ones through a set: both refuse a
    /// duplicate, wherever its first member is, and say which key and where.
    @Test("a duplicate key is refused in an object of any size", arguments: [2, 15, 16, 17, 40])
    func duplicateKeyAnySize(members: Int) throws {
        for duplicateOf in [0, members / 2, members - 1] {
            let keys = (0..<members).map { "k\($0)" } + ["k\(duplicateOf)"]
            let text = "{" + keys.map { #""\#($0)":1"# }.joined(separator: ",") + "}"
            do {
                _ = try JSONValue.parse(text)
                Issue.record("parsed a duplicate of member \(duplicateOf) of \(members)")
            } catch {
                #expect(error.code == .duplicateKey)
                #expect(error.key == "k\(duplicateOf)")
                #expect(error.offset == text.utf8.count - "\"k\(duplicateOf)\":1}".utf8.count)
            }
            let unique = "{" + (0...members).map { #""k\#($0)":1"# }.joined(separator: ",") + "}"
            #expect(throws: Never.self) { try JSONValue.parse(unique) }
        }
    }

    @Test(
        "an error after plain characters of a string points where the old byte-by-byte reader did",
        arguments: [
            (#""ab\q""#, JSONParseError.Code.invalidEscape, 3), (#""abc"#, .unexpectedEnd, 4),
            ("\"ab\u{01}\"", .controlCharacterInString, 3), (#""ab\"#, .unexpectedEnd, 4),
            (#"{"k":"ab\x"}"#, .invalidEscape, 8),
        ] as [(String, JSONParseError.Code, Int)])
    func errorOffsetAfterPlainBytes(text: String, code: JSONParseError.Code, offset: Int) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.code == code)
            #expect(error.offset == offset)
        }
    }

    @Test("strings with and without escapes read back the same text")
    func stringEscapes() throws {
        let cases: [(String, String)] = [
            (#""plain""#, "plain"), (#""""#, ""), (#""a\"b""#, "a\"b"), (#""tail\\""#, "tail\\"),
            (#""\u00e7ay ğ""#, "çay ğ"), (#""x\ny\tz""#, "x\ny\tz"), (#""\ud83d\ude00!""#, "😀!"),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue.parse(text) == .string(expected), "\(text)")
            #expect(try JSONValue.parse(JSONValue.string(expected).serialized()) == .string(expected))
        }
    }

    @Test("nesting deeper than 64 is refused, 64 is fine")
    func depth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        do {
            _ = try JSONValue.parse(deep)
            Issue.record("parsed too deep")
        } catch {
            #expect(error.code == .tooDeep)
        }
        let deepObject = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deepObject) }
    }

    @Test("invalid UTF-8 bytes are refused")
    func invalidUTF8() {
        do {
            _ = try JSONValue.parse(bytes: [0x22, 0xC3, 0x28, 0x22])
            Issue.record("parsed invalid UTF-8")
        } catch {
            #expect(error.code == .invalidUTF8)
        }
    }

    @Test(
        "number literal grammar",
        arguments: [
            ("0", true), ("-0", true), ("22.10", true), ("1e2", true), ("1E-2", true), ("-12.5e+3", true),
            ("01", false), ("1.", false), (".1", false), ("1e", false), ("", false), (" 1", false), ("1 ", false),
            ("0x10", false), ("Infinity", false),
        ])
    func numberGrammar(text: String, valid: Bool) {
        #expect(JSONValue.isValidNumberLiteral(text) == valid)
    }

    @Test(
        "exact decimals from literals",
        arguments: [
            ("22.10", "22.1"), ("0.1", "0.1"), ("1e2", "100"), ("-3.25", "-3.25"), ("1.5E1", "15"),
        ])
    func exactDecimal(literal: String, expected: String) {
        #expect(ExactDecimal.parse(literal) == Decimal(string: expected, locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test("0.1 + 0.2 == 0.3 exactly")
    func noBinaryFloatingPoint() throws {
        let sum = try #require(ExactDecimal.parse("0.1")) + #require(ExactDecimal.parse("0.2"))
        #expect(sum == ExactDecimal.parse("0.3"))
    }

    @Test("more than 38 significant digits is not silently rounded")
    func tooPrecise() {
        #expect(ExactDecimal.parse("1.000000000000000000000000000000000000001") == nil)
        #expect(ExactDecimal.parse("100000000000000000000000000000000000000000") != nil)
    }
}

@Suite("JSONValue absent vs null")
struct JSONValueAbsenceTests {
    @Test("missing keys and indexes are nil, JSON null is .null")
    func absence() throws {
        let value = try JSONValue.parse(#"{"a":null,"b":[1]}"#)
        #expect(value["a"] == .some(.null))
        #expect(value["zz"] == Optional<JSONValue>.none)
        #expect(value["b"]?[1] == Optional<JSONValue>.none)
        #expect(JSONValue.string("x")["a"] == Optional<JSONValue>.none)
        #expect(value["a"]?.isNull == true)
    }
}
