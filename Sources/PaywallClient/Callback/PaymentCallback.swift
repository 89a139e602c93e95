/// Paywall's physical-payment callback (API-NOTES S6,
/// `docs/geri-bildirim-ornekleri/fiziksel-odeme-sync-async.md`) as read from its JSON body, not yet
/// verified (see ``CallbackVerifier``).
///
/// Field names are matched without regard to letter case, like every Paywall answer the client
/// reads; a field written twice in different case is refused. Ids and integers may come as JSON
/// numbers or as strings holding them; `Amount` keeps its literal text (never a `Double`).
public struct PaymentCallback: Sendable, Hashable {
    /// `ConnectionId`: the terminal's provider connection (GUID).
    public var connectionId: String?
    /// `TerminalId` (GUID).
    public var terminalId: String?
    /// `PaymentRequestId`: the payment (GUID). Hashed.
    public var paymentRequestId: String
    /// `PaymentRequestActivityId`: the activity (the sale, or a cancel) whose status changed.
    public var paymentRequestActivityId: String?
    /// `PaymentTypeId`: the activity's type (``PaymentType``: 1 sale, 2 cancel).
    public var paymentTypeId: Int
    /// `PaymentStatusId`: the activity's new status (S1, ``PaymentStatus``).
    public var paymentStatusId: Int
    /// `MerchantUniqueCode`: the sale's code (GUID). Hashed.
    public var merchantUniqueCode: String
    /// `DisplayCode`: the device label.
    public var displayCode: String?
    /// `Amount` as its literal text (`1.44`, `1.4400`). Hashed.
    public var amount: String
    /// `Message`: Paywall's failure text when the payment failed.
    public var message: String?
    /// `Hash` as received (hex text).
    public var hash: String
    /// `HashFormat` as received (text; Paywall's formats page gives names, not numbers).
    public var hashFormat: String?
    /// `HashKeyType`: which key signed it (7 = Physical POS webhook key).
    public var hashKeyType: Int

    /// Creates a callback from its fields.
    public init(
        connectionId: String? = nil, terminalId: String? = nil, paymentRequestId: String,
        paymentRequestActivityId: String? = nil, paymentTypeId: Int, paymentStatusId: Int, merchantUniqueCode: String,
        displayCode: String? = nil, amount: String, message: String? = nil, hash: String, hashFormat: String? = nil,
        hashKeyType: Int
    ) {
        self.connectionId = connectionId
        self.terminalId = terminalId
        self.paymentRequestId = paymentRequestId
        self.paymentRequestActivityId = paymentRequestActivityId
        self.paymentTypeId = paymentTypeId
        self.paymentStatusId = paymentStatusId
        self.merchantUniqueCode = merchantUniqueCode
        self.displayCode = displayCode
        self.amount = amount
        self.message = message
        self.hash = hash
        self.hashFormat = hashFormat
        self.hashKeyType = hashKeyType
    }

    /// The status as Paywall numbers it, or `nil` for a number outside its table.
    public var paymentStatus: PaymentStatus? { PaymentStatus(rawValue: paymentStatusId) }

    /// The activity type, or `nil` for a number outside Paywall's table.
    public var paymentType: PaymentType? { PaymentType(rawValue: paymentTypeId) }

    /// Every field the parser reads, in S6's order.
    public static let fieldNames = [
        "ConnectionId", "TerminalId", "PaymentRequestId", "PaymentRequestActivityId", "PaymentTypeId",
        "PaymentStatusId", "MerchantUniqueCode", "DisplayCode", "Amount", "Message", "Hash", "HashFormat",
        "HashKeyType",
    ]

    /// Reads a callback body: UTF-8 JSON holding one object with the S6 fields. Unknown fields
    /// are ignored (Paywall may add some). Refuses with ``CallbackRefusal`` naming the first
    /// problem: `PaymentRequestId`, `PaymentTypeId`, `PaymentStatusId`, `MerchantUniqueCode`,
    /// `Amount`, `Hash` and `HashKeyType` are required.
    public static func parse(body: some Collection<UInt8>) throws(CallbackRefusal) -> PaymentCallback {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: body)
        } catch {
            throw CallbackRefusal(code: .notJSON)
        }
        return try parse(json)
    }

    /// Reads a callback from parsed JSON (see ``parse(body:)``).
    public static func parse(_ json: JSONValue) throws(CallbackRefusal) -> PaymentCallback {
        guard case .object = json else { throw CallbackRefusal(code: .malformedBody) }
        let readableId = Self.loggableId(json["PaymentRequestId"]?.stringValue)
        func refuse(_ code: CallbackRefusal.Code, _ field: String) -> CallbackRefusal {
            CallbackRefusal(code: code, field: field, paymentRequestId: readableId)
        }
        for name in fieldNames where json.keys(matching: name).count > 1 {
            throw CallbackRefusal(code: .malformedBody, field: name, paymentRequestId: readableId)
        }
        /// The value, or nil when absent or null.
        func present(_ name: String) -> JSONValue? {
            guard let value = json[name], !value.isNull else { return nil }
            return value
        }
        func optionalText(_ name: String) throws(CallbackRefusal) -> String? {
            guard let value = present(name) else { return nil }
            if let text = value.stringValue { return text }
            if let literal = value.numberLiteral { return literal }
            throw refuse(.invalidField, name)
        }
        func text(_ name: String) throws(CallbackRefusal) -> String {
            guard let text = try optionalText(name) else { throw refuse(.missingField, name) }
            guard !text.isEmpty else { throw refuse(.invalidField, name) }
            return text
        }
        func integer(_ name: String) throws(CallbackRefusal) -> Int {
            guard let value = present(name) else { throw refuse(.missingField, name) }
            guard let number = value.intValue else { throw refuse(.invalidField, name) }
            return number
        }
        func amountLiteral() throws(CallbackRefusal) -> String {
            guard let value = present("Amount") else { throw refuse(.missingField, "Amount") }
            let literal: String
            if let number = value.numberLiteral {
                literal = number
            } else if let string = value.stringValue {
                literal = string
            } else {
                throw refuse(.invalidField, "Amount")
            }
            guard JSONValue.isValidNumberLiteral(literal) else { throw refuse(.invalidField, "Amount") }
            return literal
        }

        // Required fields first, in S6's order, so the first problem named is stable.
        let paymentRequestId = try text("PaymentRequestId")
        let paymentTypeId = try integer("PaymentTypeId")
        let paymentStatusId = try integer("PaymentStatusId")
        let merchantUniqueCode = try text("MerchantUniqueCode")
        let amount = try amountLiteral()
        let hash = try text("Hash")
        let hashKeyType = try integer("HashKeyType")
        return PaymentCallback(
            connectionId: try optionalText("ConnectionId"), terminalId: try optionalText("TerminalId"),
            paymentRequestId: paymentRequestId, paymentRequestActivityId: try optionalText("PaymentRequestActivityId"),
            paymentTypeId: paymentTypeId, paymentStatusId: paymentStatusId, merchantUniqueCode: merchantUniqueCode,
            displayCode: try optionalText("DisplayCode"), amount: amount, message: try optionalText("Message"),
            hash: hash, hashFormat: try optionalText("HashFormat"), hashKeyType: hashKeyType)
    }

    /// The body's `PaymentRequestId` when it looks like an id, for logging a refusal.
    static func loggableId(_ text: String?) -> String? {
        guard let text, !text.isEmpty, text.utf8.count <= 64,
            text.unicodeScalars.allSatisfy({ scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || "-_{}".unicodeScalars.contains(scalar))
            })
        else { return nil }
        return text
    }
}
