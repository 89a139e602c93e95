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
    /// `PaymentStatusId` (S1 numbering, ``PaymentStatus``); it is the status of the activity
    /// ``paymentTypeId`` names.
    public var statusId: Int?
    /// `PaymentStatus` / `PaymentStatusName` when given as a name.
    public var statusName: String?
    /// `PaymentTypeId` of the latest activity (``PaymentType``: 1 sale, 2 cancel, 3 refund, 4 unknown).
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

/// The paging block of a list answer: `Result.Pagination{CurrentPage, PageCount, PageSize,
/// TotalCount}` as Paywall documents it (`docs/fiziksel-pos/6.-odeme/1.-odemeler.md`, API-NOTES
/// S3), or the same fields flat under `Result` (the shape the terminal list's SDK reads).
public struct Pagination: Sendable, Hashable {
    /// `CurrentPage` (Paywall counts from 0).
    public var currentPage: Int?
    /// `PageCount`.
    public var pageCount: Int?
    /// `PageSize`.
    public var pageSize: Int?
    /// `TotalCount`.
    public var totalCount: Int?

    /// Creates a paging block.
    public init(currentPage: Int? = nil, pageCount: Int? = nil, pageSize: Int? = nil, totalCount: Int? = nil) {
        self.currentPage = currentPage
        self.pageCount = pageCount
        self.pageSize = pageSize
        self.totalCount = totalCount
    }

    /// Reads `Pagination` under `result`, else the flat fields of `result`.
    public init(result: JSONValue) {
        let block = result["Pagination"].flatMap { value -> JSONValue? in
            if case .object = value { return value }
            return nil
        }
        let source = block ?? result
        currentPage = source["CurrentPage"]?.intValue
        pageCount = source["PageCount"]?.intValue
        pageSize = source["PageSize"]?.intValue
        totalCount = source["TotalCount"]?.intValue
    }
}

/// One page of the payment list (`POST /api/payment/list`).
public struct PaymentListPage: Sendable, Hashable {
    /// The payments on this page.
    public var items: [PaymentInfo]
    /// The paging block.
    public var pagination: Pagination
    /// `CurrentPage`, when given.
    public var currentPage: Int? { pagination.currentPage }
    /// `PageCount`, when given.
    public var pageCount: Int? { pagination.pageCount }
    /// `PageSize`, when given.
    public var pageSize: Int? { pagination.pageSize }
    /// `TotalCount`, when given.
    public var totalCount: Int? { pagination.totalCount }

    /// Reads a list `Result`: an object with `Items` (or `Data`/`List`) and paging (nested
    /// `Pagination`, or flat), or a bare array. Items without an id are skipped.
    public init?(_ result: JSONValue) {
        guard let list = listItems(result) else { return nil }
        items = list.compactMap(PaymentInfo.init)
        pagination = Pagination(result: result)
    }

    /// The payment with a MerchantUniqueCode (compared without regard to case), if on this page.
    public func payment(merchantUniqueCode: String) -> PaymentInfo? {
        let folded = merchantUniqueCode.lowercased()
        return items.first { $0.merchantUniqueCode?.lowercased() == folded }
    }
}

/// One step of a payment as the activities list reports it: `Id` (the
/// PaymentRequestActivityId), `PaymentTypeId`, `PaymentTypeName`, `PaymentStatusId`,
/// `PaymentStatusName`, `Date` (`docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md`). The list
/// holds one row per status an activity went through, oldest first.
public struct PaymentActivityItem: Sendable, Hashable {
    /// `Id`.
    public var id: String?
    /// `PaymentTypeId` (``PaymentType``).
    public var paymentTypeId: Int?
    /// `PaymentStatusId` (``PaymentStatus``).
    public var statusId: Int?
    /// `PaymentStatusName`, verbatim.
    public var statusName: String?
    /// `Date`, verbatim.
    public var date: String?

    /// Reads an item; `nil` when it is not an object.
    public init?(_ json: JSONValue) {
        guard case .object = json else { return nil }
        id = json["Id"]?.stringValue
        paymentTypeId = json["PaymentTypeId"]?.intValue
        statusId = json["PaymentStatusId"]?.intValue
        statusName = json["PaymentStatusName"]?.stringValue
        date = json["Date"]?.stringValue
    }
}

/// One page of a payment's activities (`POST /api/payment/activities`).
public struct PaymentActivityPage: Sendable, Hashable {
    /// The rows on this page, in Paywall's order.
    public var items: [PaymentActivityItem]
    /// The paging block.
    public var pagination: Pagination

    /// Reads an activities `Result` (same shapes as ``PaymentListPage``).
    public init?(_ result: JSONValue) {
        guard let list = listItems(result) else { return nil }
        items = list.compactMap(PaymentActivityItem.init)
        pagination = Pagination(result: result)
    }

    /// The latest row of an activity type (the last in the list; rows are oldest first), or
    /// `nil` when the payment has no such activity.
    public func latest(_ type: PaymentType) -> PaymentActivityItem? {
        items.last { $0.paymentTypeId == type.rawValue }
    }
}

private func listItems(_ result: JSONValue) -> [JSONValue]? {
    if let array = result.arrayValue { return array }
    return result.value(forAnyKey: "Items", "Data", "List")?.arrayValue
}
