import Foundation
import PropertyBased

/// What the generator knows of rows written before the one it makes: follow-ups name earlier
/// sales, duplicates reuse earlier keys.
struct FuzzContext: Sendable {
    /// Keys of the random sale rows written so far (stored or refused). Control sales are never
    /// here: a random cancel must not withdraw a sale the test expects to succeed.
    var saleKeys: [String] = []
    /// Every text key written so far, control sales excluded.
    var keys: [String] = []

    /// Remembers the row's key, if it is text of a plausible size (a 1 MB key reused and grown
    /// again would ask for 32 GB).
    mutating func remember(_ row: FuzzRow) {
        guard !row.isControlSale, case .text(let key)? = row.value("command_key"), !key.isEmpty, key.utf8.count <= 100
        else { return }
        keys.append(key)
        if case .text(let kind)? = row.value("kind"), kind.hasSuffix("_sale") { saleKeys.append(key) }
    }
}

/// Random outbox rows: every producer column drawn from valid values and from edge cases (types,
/// sizes up to the 65536-byte payload limit and beyond, Unicode, 64-bit extremes, JSON mutations).
/// Built on PropertyBased's `Generator`, so `propertyCheck` can drive it, and a run can be
/// repeated from a seed with ``FuzzSeed``.
enum FuzzRows {
    static let kinds: [(Double, String)] = [
        (3, "async_sale"), (2, "sync_sale"), (1.5, "async_cancel"), (1, "sync_cancel"), (1, "sync_sale_rollback"),
        (0.7, "sync_cancel_rollback"), (1, "async_pair_request"), (0.7, "async_pair_confirm"),
        (0.7, "sync_pair_request"), (1.2, "marketplace_approve"),
    ]

    /// A generator of one random row, given what was written before it.
    static func generator(_ context: FuzzContext) -> Generator<FuzzRow, Shrink.None<FuzzRow>> {
        Generator(run: { rng in row(&rng, context) })
    }

    /// A well-formed async sale on terminal CONTROL-1, which must end `succeeded`.
    static func controlSale<R: RandomNumberGenerator>(_ r: inout R) -> FuzzRow {
        let key = guid(&r)
        let amount = r.pick(["1", "22.10", "150", "9.99", "1250.50"])
        var row = FuzzRow(isControlSale: true)
        row.set("command_key", .text(key))
        row.set("kind", .text("async_sale"))
        row.set(
            "payload",
            .text(
                #"{"TerminalTagCode":"CONTROL-1","MerchantUniqueCode":"\#(key)","Amount":\#(amount),"CurrencyId":1,"Products":[{"Name":"Control","TaxGroupId":10,"UnitCodeId":1,"Amount":\#(amount),"Quantity":1}]}"#
            ))
        row.notes = ["control sale"]
        return row
    }

    // MARK: - A row

    static func row<R: RandomNumberGenerator>(_ r: inout R, _ context: FuzzContext) -> FuzzRow {
        var row = FuzzRow()
        row.verb = r.weighted(
            [(0.81, InsertVerb.insert), (0.07, .onConflictDoNothing), (0.07, .insertOrIgnore), (0.05, .insertOrReplace)])
        let kind = r.weighted(kinds)
        let role = kind.hasSuffix("_sale") ? "sale" : (kind.contains("cancel") || kind.contains("rollback")) ? "follow_up" : "standalone"
        var key = guid(&r)
        // A REPLACE is interesting where it meets a queued key.
        if r.chance(row.verb == .insertOrReplace ? 0.7 : 0.08), !context.keys.isEmpty {
            key = r.pick(context.keys)
            if r.chance(0.5) { key = key.uppercased() }
            row.notes.append("the key of an earlier row")
        }

        // Payload first: a sale's MerchantUniqueCode is its key.
        var payload = JSONObject()
        switch role {
        case "sale": payload = salePayload(&r, key: key, sync: kind == "sync_sale", notes: &row.notes)
        case "follow_up": payload = followUpPayload(&r, sync: kind.hasPrefix("sync"), notes: &row.notes)
        default: payload = standalonePayload(&r, kind: kind, notes: &row.notes)
        }
        if r.chance(0.35) { mutateObject(&r, &payload, notes: &row.notes) }

        row.set("command_key", keyValue(&r, key: key, context: context, notes: &row.notes))
        row.set("kind", kindValue(&r, kind: kind, notes: &row.notes))
        row.set("payload", payloadValue(&r, payload: payload, notes: &row.notes))
        if role == "follow_up" || r.chance(0.06) {
            references(&r, row: &row, context: context)
        }
        for column in ["not_before", "deadline", "created_at"] where r.chance(column == "created_at" ? 0.25 : 0.3) {
            let (value, note) = timeValue(&r, column: column)
            row.set(column, value)
            row.notes.append("\(column): \(note)")
        }
        if r.chance(0.04) { workerColumn(&r, row: &row) }
        if r.chance(0.02) {
            let (value, note) = r.pick([
                (SQLValue.integer(1), "id 1 (taken)"), (.integer(0), "id 0"), (.integer(-7), "id -7"),
                (.integer(.max), "id Int64.max"), (.text("abc"), "id as text"), (.real("2.5"), "id REAL"),
            ])
            row.columns.insert(("id", value), at: 0)
            row.notes.append(note)
        }
        if r.chance(0.05) { row.columns.shuffle(using: &r) }
        return row
    }

    // MARK: - command_key

    static func keyValue<R: RandomNumberGenerator>(
        _ r: inout R, key: String, context: FuzzContext, notes: inout [String]
    ) -> SQLValue? {
        guard r.chance(0.2) else { return .text(key) }
        let options: [(SQLValue?, String)] = [
            (.text(key.uppercased()), "key upper case"),
            (.text(" " + key), "key padded"),
            (.text(key + "\n"), "key + newline"),
            (.text(key + "\u{0}"), "key + NUL"),
            (.text(key + "\u{0}" + "tail"), "key + NUL + tail"),
            (.text(String(key.dropLast()) + "\u{0}"), "35 chars + NUL"),
            (.text(key.replacingOccurrences(of: "a", with: "\u{430}")), "key with Cyrillic а"),
            (.text(fullWidth(key)), "key in full-width digits"),
            (.text(String(key.prefix(8)) + "\u{200B}" + key.dropFirst(8)), "key with a zero-width space"),
            (.text("\u{202E}" + key), "key after a bidi override"),
            (.text(String(key.dropLast())), "key of 35 characters"),
            (.text(key + "0"), "key of 37 characters"),
            (.text(key.replacingOccurrences(of: "-", with: "")), "key without hyphens"),
            (.text("00000000-0000-0000-0000-000000000000"), "zero GUID key"),
            (.text(""), "empty key"),
            (.null, "NULL key"),
            (nil, "key left out"),
            (.integer(42), "key INTEGER"),
            (.real("1.5"), "key REAL"),
            (.blob(Array(key.utf8)), "key as a UTF-8 BLOB"),
            (.blob([0xFF, 0xFE, 0x00, 0xC3, 0x28]), "key BLOB not UTF-8"),
            (.textBytes(Array(key.utf8.dropLast(2)) + [0xC3, 0x28]), "key TEXT not UTF-8"),
            (.text(key + String(repeating: "0", count: 1 << 20)), "key of 1 MiB"),
        ]
        let (value, note) = r.pick(options)
        notes.append(note)
        return value
    }

    // MARK: - kind

    static func kindValue<R: RandomNumberGenerator>(_ r: inout R, kind: String, notes: inout [String]) -> SQLValue? {
        guard r.chance(0.07) else { return .text(kind) }
        let options: [(SQLValue?, String)] = [
            (.text(kind.uppercased()), "kind upper case"), (.text(" " + kind), "kind padded"),
            (.text(kind + "\u{0}x"), "kind + NUL"), (.text("async_refund"), "unknown kind"),
            (.text(""), "empty kind"), (.null, "NULL kind"), (nil, "kind left out"), (.integer(1), "kind INTEGER"),
            (.blob(Array(kind.utf8)), "kind as a BLOB"),
        ]
        let (value, note) = r.pick(options)
        notes.append(note)
        return value
    }

    // MARK: - payload

    static func payloadValue<R: RandomNumberGenerator>(
        _ r: inout R, payload: JSONObject, notes: inout [String]
    ) -> SQLValue? {
        let text = payload.rendered
        guard r.chance(0.14) else { return .text(text) }
        let options: [(SQLValue?, String)] = [
            (.text(""), "empty payload"), (.text("{"), "payload not JSON"), (.text("[]"), "payload an array"),
            (.text("null"), "payload null"), (.text("\"{}\""), "payload a JSON string"),
            (.text(text + "\u{0}garbage"), "payload + NUL + garbage"),
            (.text(text + " \n\t"), "payload + trailing whitespace"),
            (.text("\u{FEFF}" + text), "payload after a BOM"),
            (.textBytes(withMember(text, name: "Note", valueBytes: [0xFF, 0xFE, 0x41])),
             "payload TEXT with bytes that are not UTF-8 in a member"),
            (.textBytes(withMember(text, name: "Note", valueBytes: [0xED, 0xA0, 0x80])),
             "payload TEXT with a UTF-8-encoded surrogate"),
            (.textBytes(Array(text.replacingOccurrences(of: "\"FUZZ-", with: "\"\u{1}UZZ-").utf8).map { $0 == 0x01 ? 0xFF : $0 }),
             "payload TEXT with a byte that is not UTF-8 in the terminal (if any)"),
            (.blob(Array(text.utf8)), "payload as a UTF-8 BLOB"),
            (.null, "NULL payload"), (nil, "payload left out"), (.integer(7), "payload INTEGER"),
            (.real("-0.0"), "payload REAL"),
            (.text(padded(text, toBytes: 65_536)), "payload of exactly 65536 bytes"),
            (.text(padded(text, toBytes: 65_537)), "payload of 65537 bytes"),
            (.text(padded(text, toBytes: 1_048_576)), "payload of 1 MiB"),
        ]
        let (value, note) = r.pick(options)
        notes.append(note)
        return value
    }

    /// The bytes of `text` (a JSON object) with one more string member holding `valueBytes`.
    static func withMember(_ text: String, name: String, valueBytes: [UInt8]) -> [UInt8] {
        let open = text == "{}" ? "{" : String(text.dropLast()) + ","
        return Array("\(open)\"\(name)\":\"".utf8) + valueBytes + Array("\"}".utf8)
    }

    /// `text` (a JSON object) grown to exactly `bytes` bytes with an unknown member.
    static func padded(_ text: String, toBytes bytes: Int) -> String {
        let member = text == "{}" ? #""Filler":""# : #","Filler":""#
        let fixed = text.utf8.count + member.utf8.count + 1  // + closing quote
        return String(text.dropLast()) + member + String(repeating: "x", count: max(0, bytes - fixed)) + "\"}"
    }

    static func salePayload<R: RandomNumberGenerator>(
        _ r: inout R, key: String, sync: Bool, notes: inout [String]
    ) -> JSONObject {
        var o = JSONObject()
        let amount = r.pick(["1", "0.01", "22.10", "150", "9.13", "99999.99"])
        if r.chance(0.85) {
            o.add("TerminalTagCode", jsonString(r.chance(0.8) ? "FUZZ-\(Int.random(in: 1...3, using: &r))" : "T"))
        } else {
            o.add("TerminalId", jsonString(guid(&r)))
        }
        o.add("MerchantUniqueCode", jsonString(key))
        o.add("Amount", amount)
        o.add("CurrencyId", "1")
        if r.chance(0.3) { o.add("DisplayCode", jsonString("R-\(Int.random(in: 1...9999, using: &r))")) }
        if sync && r.chance(0.5) { o.add("SendNotificationDeviceDisconnected", "true") }
        if r.chance(0.2) {
            o.add("Customer", #"{"Type":1,"FirstName":"Ayşe","LastName":"Yılmaz","Email":"ayse@example.com"}"#)
        }
        o.add("Products", #"[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":\#(amount),"Quantity":1}]"#)
        guard r.chance(0.55) else { return o }
        for _ in 0..<Int.random(in: 1...2, using: &r) {
            let choice = Int.random(in: 0..<9, using: &r)
            switch choice {
            case 0, 1:
                let (literal, note) = r.pick(numberEdges)
                o.set("Amount", literal)
                if r.chance(0.6) {
                    o.set("Products", #"[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":\#(literal),"Quantity":1}]"#)
                }
                notes.append("Amount \(note)")
            case 2:
                let (value, note) = r.pick(textEdges)
                o.set(o.has("TerminalId") ? "TerminalId" : "TerminalTagCode", value)
                notes.append("terminal \(note)")
            case 3:
                let (value, note) = r.pick(textEdges)
                o.set(r.pick(["DisplayCode", "CallbackAddress"]), value)
                notes.append("text field \(note)")
            case 4:
                let (value, note) = r.pick([
                    (jsonString(key.uppercased()), "MerchantUniqueCode upper case"),
                    (jsonString(guid(&r)), "MerchantUniqueCode another GUID"), ("12", "MerchantUniqueCode a number"),
                    (jsonString(key + "\u{0}"), "MerchantUniqueCode + escaped NUL"),
                    (#""\#(key)\u0000x""#, "MerchantUniqueCode + \\u0000x"),
                ])
                o.set("MerchantUniqueCode", value)
                notes.append(note)
            case 5:
                let (value, note) = r.pick([
                    ("[]", "no products"), (#"[{"Name":"A","TaxGroupId":10,"UnitCodeId":1,"Amount":1,"Quantity":1}]"#, "products do not add up"),
                    (#"[{"Name":"","TaxGroupId":10,"UnitCodeId":1,"Amount":1,"Quantity":0}]"#, "product empty name, quantity 0"),
                    (#"[{"Name":"\#(String(repeating: "ü", count: 76))","TaxGroupId":5,"UnitCodeId":1,"Amount":1,"Quantity":1}]"#, "product name 76, tax group 5"),
                    ("{}", "products an object"),
                ])
                o.set("Products", value)
                notes.append(note)
            case 6:
                let (value, note) = r.pick([
                    (#""TRY""#, "CurrencyId text"), ("1.5", "CurrencyId 1.5"), ("-1", "CurrencyId -1"), ("null", "CurrencyId null"),
                    ("9223372036854775808", "CurrencyId 2^63"),
                ])
                o.set("CurrencyId", value)
                notes.append(note)
            case 7:
                if o.has("TerminalId") {
                    o.add("TerminalTagCode", jsonString("FUZZ-1"))
                } else {
                    o.add("TerminalId", jsonString(r.chance(0.5) ? guid(&r) : "00000000-0000-0000-0000-000000000000"))
                }
                notes.append("both TerminalId and TerminalTagCode")
            default:
                let (value, note) = r.pick([
                    (#"{"Type":3}"#, "Customer Type 3"),
                    (#"{"Type":1,"FirstName":"\#(String(repeating: "ş", count: 51))"}"#, "Customer FirstName 51"),
                    (#"{"Type":1,"Email":"ay\#u{0073}\#u{0327}e@example.com"}"#, "Customer Email NFD"),
                    (#""Ayşe""#, "Customer a string"), (#"{"Type":"1"}"#, "Customer Type text"),
                ])
                o.set("Customer", value)
                notes.append(note)
            }
        }
        return o
    }

    static func followUpPayload<R: RandomNumberGenerator>(_ r: inout R, sync: Bool, notes: inout [String]) -> JSONObject {
        var o = JSONObject()
        if sync && r.chance(0.5) { o.add("SendNotificationDeviceDisconnected", r.pick(["true", "false"])) }
        if r.chance(0.12) {
            o.add("PaymentRequestId", jsonString(guid(&r)))
            notes.append("PaymentRequestId in the payload")
        }
        if sync && r.chance(0.08) {
            o.set("SendNotificationDeviceDisconnected", #""yes""#)
            notes.append("SendNotificationDeviceDisconnected text")
        }
        return o
    }

    static func standalonePayload<R: RandomNumberGenerator>(_ r: inout R, kind: String, notes: inout [String]) -> JSONObject {
        var o = JSONObject()
        switch kind {
        case "marketplace_approve":
            if r.chance(0.7) {
                o.add("PaymentId", String(Int.random(in: 1...999_999, using: &r)))
            } else {
                let (literal, note) = r.pick(numberEdges + [("9223372036854775807", "Int64.max"), ("-9223372036854775808", "Int64.min")])
                o.add("PaymentId", literal)
                notes.append("PaymentId \(note)")
            }
        case "async_pair_confirm":
            if r.chance(0.8) {
                o.add("PairAsyncRequestId", jsonString(guid(&r)))
            } else {
                let (value, note) = r.pick(textEdges + [(jsonString("00000000-0000-0000-0000-000000000000"), "zero GUID")])
                o.add("PairAsyncRequestId", value)
                notes.append("PairAsyncRequestId \(note)")
            }
        default:  // pair requests
            if r.chance(0.75) {
                if r.chance(0.8) {
                    o.add("TerminalTagCode", jsonString("FUZZ-\(Int.random(in: 1...3, using: &r))"))
                } else {
                    o.add("TerminalId", jsonString(guid(&r)))
                }
            } else {
                let (value, note) = r.pick(textEdges)
                o.add(r.pick(["TerminalTagCode", "TerminalId"]), value)
                notes.append("terminal \(note)")
                if r.chance(0.3) {
                    o.add("TerminalId", jsonString(guid(&r)))
                    notes.append("both terminal fields")
                }
            }
        }
        return o
    }

    /// Structural JSON mutations any payload may get.
    static func mutateObject<R: RandomNumberGenerator>(_ r: inout R, _ o: inout JSONObject, notes: inout [String]) {
        switch Int.random(in: 0..<8, using: &r) {
        case 0:
            o.add("Unknown\(Int.random(in: 1...9, using: &r))", r.pick(["1", "\"x\"", "null", "{}", "[]"]))
            notes.append("an unknown member")
        case 1:
            if let first = o.members.first {
                o.members.append((first.key, first.value))
                notes.append("duplicate member \(first.key)")
            }
        case 2:
            if let i = o.members.indices.randomElement(using: &r) {
                o.members[i].key = o.members[i].key.lowercased()
                notes.append("member \(o.members[i].key) in lower case")
            }
        case 3:
            let depth = r.pick([10, 65, 1_000, 1_999, 2_100])
            o.add("Deep", String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
            notes.append("an array nested \(depth) deep")
        case 4:
            if let i = o.members.indices.randomElement(using: &r) {
                o.members[i].value = r.pick(["null", "true", "[]", "{}", "\"\"", "0", "1e2"])
                notes.append("member \(o.members[i].key) = \(o.members[i].value)")
            }
        case 5:
            if let i = o.members.indices.randomElement(using: &r) {
                let removed = o.members.remove(at: i)
                notes.append("member \(removed.key) removed")
            }
        case 6:
            o.add(#"Esc\u0041ped"#, "1")
            notes.append("a member name with an escape")
        default:
            o.members.shuffle(using: &r)
            notes.append("members shuffled")
        }
    }

    /// Number literals as they may appear in a payload: (JSON text, note).
    static let numberEdges: [(String, String)] = [
        ("10.005", "3 decimals"), ("1e1", "exponent 1e1"), ("1.5E+2", "exponent 1.5E+2"), ("2.2e-1", "exponent 2.2e-1"),
        ("-5", "negative"), ("0", "zero"), ("0.00", "0.00"), ("-0", "-0"), (#""10.00""#, "a string"),
        ("1e400", "1e400"), ("99999999999999999999999.99", "beyond 64 bits"), ("0.1000000000000000055511151231257827", "many decimals"),
        ("00.5", "leading zero (not JSON)"), ("true", "true"), ("null", "null"), ("[1]", "an array"), ("NaN", "NaN (not JSON)"),
        ("12.50", "12.50"), ("1", "1"),
    ]

    /// JSON string literals with Unicode and escape edge cases: (JSON text, note).
    static let textEdges: [(String, String)] = [
        (jsonString(""), "empty"), (jsonString(String(repeating: "K", count: 25)), "25 characters"),
        (jsonString(String(repeating: "K", count: 26)), "26 characters"),
        (jsonString("ＦＵＺＺ－１"), "full-width"), (jsonString("Caf\u{E9}"), "NFC é"), (jsonString("Cafe\u{301}"), "NFD é"),
        (jsonString("\u{202E}1-ZZUF"), "bidi override"), (jsonString("\u{2066}FUZZ\u{2069}"), "bidi isolate"),
        (jsonString("FU\u{200B}ZZ"), "zero-width space"), (jsonString("\u{FEFF}FUZZ"), "BOM"),
        (jsonString(String(repeating: "🏪", count: 13)), "13 astral characters (26 UTF-16 units)"),
        (jsonString(String(repeating: "🏪", count: 12)), "12 astral characters (24 UTF-16 units)"),
        (jsonString("İıŞş"), "Turkish letters"), (#""\u0001FUZZ""#, "escaped control character"),
        (#""FUZZ\u0000""#, "escaped NUL"), ("\"FU\u{1}ZZ\"", "raw control character"), ("\"FU\tZZ\"", "raw tab"),
        (#""\ud800""#, "lone high surrogate escape"), (#""x\udc00""#, "lone low surrogate escape"),
        (#""\ud83c\udfea""#, "surrogate pair escape"), (#""\udfea\ud83c""#, "reversed surrogate pair"),
        (#""\uD83C""#, "upper-case lone surrogate"), (#""\/FUZZ\"""#, "escaped slash and quote"),
        (jsonString(String(repeating: "Ω", count: 1_000)), "1000 characters"), ("123", "a number"), ("null", "null"),
        (jsonString("Robert'); DROP TABLE outbox;--"), "SQL in text"),
    ]

    // MARK: - sale_key / payment_request_id

    static func references<R: RandomNumberGenerator>(_ r: inout R, row: inout FuzzRow, context: FuzzContext) {
        let earlier = context.saleKeys.isEmpty ? guid(&r) : r.pick(context.saleKeys)
        let options: [(Double, (String, SQLValue, String))] = [
            (4, ("sale_key", .text(earlier), "sale_key of an earlier sale")),
            (0.8, ("sale_key", .text(earlier.uppercased()), "sale_key of an earlier sale, upper case")),
            (1, ("sale_key", .text(guid(&r)), "sale_key of no sale")),
            (1.5, ("payment_request_id", .text(guid(&r)), "payment_request_id unknown to Paywall")),
            (0.3, ("sale_key", .text(earlier + "\u{0}"), "sale_key + NUL")),
            (0.3, ("sale_key", .text(" " + earlier), "sale_key padded")),
            (0.3, ("payment_request_id", .text("not-a-guid"), "payment_request_id not a GUID")),
            (0.3, ("payment_request_id", .integer(5), "payment_request_id INTEGER")),
            (0.3, ("sale_key", .blob(Array(earlier.utf8)), "sale_key BLOB")),
            (0.3, ("sale_key", .null, "sale_key NULL")),
            (0.3, ("payment_request_id", .text("00000000-0000-0000-0000-000000000000"), "payment_request_id zero GUID")),
        ]
        let (column, value, note) = r.weighted(options)
        row.set(column, value)
        row.notes.append(note)
        if r.chance(0.06) {
            row.set(column == "sale_key" ? "payment_request_id" : "sale_key", .text(guid(&r)))
            row.notes.append("both sale_key and payment_request_id")
        }
    }

    // MARK: - times

    /// Limits of schema 003: [2000-01-01, 2100-01-01) in ms.
    static let earliest: Int64 = 946_684_800_000
    static let latest: Int64 = 4_102_444_800_000

    static func timeValue<R: RandomNumberGenerator>(_ r: inout R, column: String) -> (SQLValue, String) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let options: [(Double, (SQLValue, String))] = [
            (3, (.msFromNow(-Int64.random(in: 0...3_600_000, using: &r)), "within the last hour")),
            (2, (.msFromNow(Int64.random(in: 0...3_000, using: &r)), "within 3 s from now")),
            (0.6, (.msFromNow(86_400_000), "a day from now")),
            (0.5, (.msFromNow(-2 * 86_400_000), "two days ago")),
            (0.5, (.integer(earliest), "2000-01-01 exactly")), (0.5, (.integer(earliest - 1), "just before 2000")),
            (0.4, (.integer(latest - 1), "just before 2100")), (0.4, (.integer(latest), "2100-01-01 exactly")),
            (0.5, (.integer(now / 1000), "seconds, not ms")), (0.5, (.integer(now * 1000), "microseconds")),
            (0.3, (.integer(0), "0")), (0.3, (.integer(-1), "-1")), (0.4, (.integer(.min), "Int64.min")),
            (0.4, (.integer(.max), "Int64.max")), (0.4, (.real("\(now).5"), "REAL with a fraction")),
            (0.4, (.real("\(now).0"), "REAL without a fraction")), (0.2, (.real("inf"), "REAL infinity")),
            (0.4, (.text("\(now)"), "digits as TEXT")), (0.4, (.text("2026-11-21T10:00:00Z"), "ISO text")),
            (0.3, (.blob([0x01, 0x02]), "BLOB")), (0.6, (.null, "NULL")),
        ]
        return r.weighted(options)
    }

    // MARK: - worker columns

    static func workerColumn<R: RandomNumberGenerator>(_ r: inout R, row: inout FuzzRow) {
        let options: [(String, SQLValue)] = [
            ("state", .text("succeeded")), ("state", .text("pending")), ("generation", .integer(1)),
            ("generation", .integer(2)), ("attempts", .integer(0)), ("attempts", .integer(-1)), ("due_at", .integer(0)),
            ("due_at", .integer(.max)), ("needs_reconcile", .integer(1)), ("lease_owner", .text("me")),
            ("lease_expires_at", .integer(1)), ("last_error", .text("x")),
            ("paywall_payment_request_id", .text(guid(&r))), ("accepted_at", .integer(1)), ("finished_at", .integer(1)),
            ("updated_at", .integer(1)), ("state", .null), ("attempts", .null),
        ]
        let (column, value) = r.pick(options)
        row.set(column, value)
        row.notes.append("worker column \(column)=\(value)")
    }

    // MARK: - helpers

    static func guid<R: RandomNumberGenerator>(_ r: inout R) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &r) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    static func fullWidth(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { s in
            (0x30...0x39).contains(s.value) ? Unicode.Scalar(s.value - 0x30 + 0xFF10)! : s
        }))
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest raw UTF-8.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A JSON object as ordered members with raw JSON values, so a mutation can write what a JSON
/// library never would (duplicate names, exponents, raw control characters).
struct JSONObject: Sendable {
    var members: [(key: String, value: String)] = []

    mutating func add(_ key: String, _ value: String) { members.append((key, value)) }

    mutating func set(_ key: String, _ value: String) {
        if let i = members.firstIndex(where: { $0.key == key }) { members[i].value = value } else { add(key, value) }
    }

    func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// Member names are written as given (they may hold escapes already).
    var rendered: String { "{" + members.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}" }
}

extension RandomNumberGenerator {
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &self)] }

    mutating func weighted<T>(_ options: [(Double, T)]) -> T {
        let total = options.reduce(0) { $0 + $1.0 }
        var roll = Double.random(in: 0..<total, using: &self)
        for (weight, value) in options {
            if roll < weight { return value }
            roll -= weight
        }
        return options[options.count - 1].1
    }
}

/// A run's seed: one 64-bit number (printed, and read from OUTBOX_FUZZ_SEED) expanded into
/// PropertyBased's Xoshiro state with SplitMix64.
enum FuzzSeed {
    static func rng(_ seed: UInt64) -> Xoshiro {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Xoshiro(seed: (next(), next(), next(), next()))
    }
}
