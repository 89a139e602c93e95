/// One payment as the inquiry (`Result`) or a payment list item describes it.
public struct PaymentInfo: Sendable, Hashable {
    /// `PaymentRequestId` (list items call it `Id`).
    public var paymentRequestId: String
    /// `PaymentRequestActivityId`.
    public var paymentRequestActivityId: String?
    /// `MerchantUniqueCode`.
    public var merchantUniqueCode: String?
    /// `TerminalId`.
    public var terminalId: String?
    /// `DisplayCode`.
    public var displayCode: String?
    /// `PaymentStatusId` (interpret with ``PaymentStatusPolicy``).
    public var statusId: Int?
    /// `PaymentStatus` / `PaymentStatusName` when given as a name.
    public var statusName: String?
    /// `PaymentTypeId` (1 sale, 2 cancel, 3 refund, 4 unknown).
    public var paymentTypeId: Int?
    /// `PaymentChannelId` (1 async).
    public var paymentChannelId: Int?
    /// `Amount` as its literal text (never a floating-point number).
    public var amount: String?
    /// `CurrencyId` verbatim.
    public var currencyId: String?
    /// `CreatedDate` (inquiry) or `Date` (list), verbatim.
    public var createdDate: String?
    /// `ModifiedDate`, verbatim.
    public var modifiedDate: String?
    /// The whole object, for the inbox.
    public var raw: JSONValue

    /// Reads a payment object; `nil` when it has no `PaymentRequestId` / `Id`.
    public init?(_ json: JSONValue) {
        guard case .object = json else { return nil }
        func text(_ keys: String...) -> String? {
            for key in keys {
                if let value = json[key] {
                    if let text = value.stringValue { return text }
                    if let literal = value.numberLiteral { return literal }
                }
            }
            return nil
        }
        guard let id = text("PaymentRequestId", "Id") else { return nil }
        paymentRequestId = id
        paymentRequestActivityId = text("PaymentRequestActivityId")
        merchantUniqueCode = text("MerchantUniqueCode")
        terminalId = text("TerminalId")
        displayCode = text("DisplayCode")
        statusId = json["PaymentStatusId"]?.intValue ?? json["PaymentStatus"]?.intValue
        statusName = json["PaymentStatusName"]?.stringValue ?? json["PaymentStatus"]?.stringValue
        paymentTypeId = json["PaymentTypeId"]?.intValue
        paymentChannelId = json["PaymentChannelId"]?.intValue
        amount = json["Amount"]?.numberLiteral ?? json["Amount"]?.stringValue
        currencyId = text("CurrencyId")
        createdDate = text("CreatedDate", "Date")
        modifiedDate = text("ModifiedDate")
        raw = json
    }
}

/// One page of the payment list.
public struct PaymentListPage: Sendable, Hashable {
    /// The payments on this page.
    public var items: [PaymentInfo]
    /// `CurrentPage`, when given.
    public var currentPage: Int?
    /// `PageCount`, when given.
    public var pageCount: Int?
    /// `PageSize`, when given.
    public var pageSize: Int?
    /// `TotalCount`, when given.
    public var totalCount: Int?

    /// Reads a list `Result`: an object with `Items` (or `Data`/`List`) and paging fields, or a
    /// bare array. Items without an id are skipped.
    public init?(_ result: JSONValue) {
        let list: [JSONValue]
        if let array = result.arrayValue {
            list = array
        } else if let array = result.value(forAnyKey: "Items", "Data", "List")?.arrayValue {
            list = array
        } else {
            return nil
        }
        items = list.compactMap(PaymentInfo.init)
        currentPage = result["CurrentPage"]?.intValue
        pageCount = result["PageCount"]?.intValue
        pageSize = result["PageSize"]?.intValue
        totalCount = result["TotalCount"]?.intValue
    }

    /// The payment with a MerchantUniqueCode (compared without regard to case), if on this page.
    public func payment(merchantUniqueCode: String) -> PaymentInfo? {
        let folded = merchantUniqueCode.lowercased()
        return items.first { $0.merchantUniqueCode?.lowercased() == folded }
    }
}
