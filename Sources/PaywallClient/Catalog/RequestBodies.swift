import Foundation

/// The known fields of every request body. Limits marked "ours" are not Paywall's (the docs do
/// not state them); they catch obviously broken data and are listed in docs/paywall-client.md.
public enum RequestBodies {
    /// Maximum lengths (UTF-16 code units). Paywall-documented: TerminalTagCode, DisplayCode,
    /// CallbackAddress, product Name. Everything else is our choice.
    public enum Limit {
        /// TerminalTagCode (documented).
        public static let terminalTagCode = 25
        /// DisplayCode (documented).
        public static let displayCode = 25
        /// CallbackAddress (documented).
        public static let callbackAddress = 150
        /// Products[].Name (documented).
        public static let productName = 75
        /// Customer first/middle/last name (ours).
        public static let personName = 50
        /// Customer.CompanyName (ours).
        public static let companyName = 150
        /// Customer.TaxOfficeCode (ours).
        public static let taxOfficeCode = 50
        /// Customer.TaxNumber (ours).
        public static let taxNumber = 20
        /// Customer.Identity (ours; Turkish national ids are 11 digits).
        public static let identity = 20
        /// Customer.Phone (ours).
        public static let phone = 20
        /// Customer.Email (ours; RFC 5321 path limit is 254).
        public static let email = 254
        /// Customer.Country, City, District, Neighborhood (ours).
        public static let place = 100
        /// Customer.Address (ours).
        public static let address = 500
        /// ReceiptOptions Top/Bottom Text (ours).
        public static let receiptText = 500
    }

    private static func text(_ max: Int?, nonEmpty: Bool = false) -> FieldType {
        .string(maxLength: max, nonEmpty: nonEmpty)
    }

    /// `Customer` on a sale.
    public static let customer = BodySchema(fields: [
        FieldSpec("Type", .integer(minimum: 1)),
        FieldSpec("FirstName", text(Limit.personName)),
        FieldSpec("MiddleName", text(Limit.personName)),
        FieldSpec("LastName", text(Limit.personName)),
        FieldSpec("CompanyName", text(Limit.companyName)),
        FieldSpec("TaxOfficeCode", text(Limit.taxOfficeCode)),
        FieldSpec("TaxNumber", text(Limit.taxNumber)),
        FieldSpec("Phone", text(Limit.phone)),
        FieldSpec("Email", text(Limit.email)),
        FieldSpec("Identity", text(Limit.identity)),
        FieldSpec("Country", text(Limit.place)),
        FieldSpec("City", text(Limit.place)),
        FieldSpec("District", text(Limit.place)),
        FieldSpec("Neighborhood", text(Limit.place)),
        FieldSpec("Address", text(Limit.address)),
    ])

    /// One `Products[]` line: `Amount` is the unit price, `Quantity` the count (assumption).
    public static let product = BodySchema(fields: [
        FieldSpec("Name", text(Limit.productName, nonEmpty: true), required: true),
        FieldSpec("TaxGroupId", .integer(minimum: 0)),
        FieldSpec("UnitCodeId", .integer(minimum: 1)),
        FieldSpec("Amount", .positiveDecimal, required: true),
        FieldSpec("Quantity", .integer(minimum: 1), required: true),
        FieldSpec("PaymentMethodId", .integer(minimum: 1)),
        FieldSpec("CurrencyId", .integerOrString),
    ])

    /// `ReceiptOptions.Top` / `.Bottom`.
    public static let receiptLine = BodySchema(fields: [
        FieldSpec("Text", text(Limit.receiptText)),
        FieldSpec("FontSize", .integer(minimum: 1)),
    ])

    /// `ReceiptOptions`.
    public static let receiptOptions = BodySchema(fields: [
        FieldSpec("TopSupport", .bool),
        FieldSpec("Top", .object(receiptLine)),
        FieldSpec("BottomSupport", .bool),
        FieldSpec("Bottom", .object(receiptLine)),
    ])

    /// An async (`sync == false`) or sync sale.
    public static func sale(sync: Bool) -> BodySchema {
        var fields = [
            FieldSpec("TerminalId", .guid),
            FieldSpec("TerminalTagCode", text(Limit.terminalTagCode, nonEmpty: true)),
            FieldSpec("MerchantUniqueCode", .guid, required: true),
            FieldSpec("Amount", .positiveDecimal, required: true),
            FieldSpec("CurrencyId", .integerOrString, required: true),
            FieldSpec("DisplayCode", text(Limit.displayCode)),
            FieldSpec("CallbackAddress", text(Limit.callbackAddress)),
            FieldSpec(
                "Methods",
                .array(
                    of: .object(
                        BodySchema(fields: [
                            FieldSpec("PaymentMethodId", .integer(minimum: 1), required: true)
                        ])), nonEmpty: false)),
            FieldSpec("SplitPaymentSupport", .bool),
            FieldSpec("SkipPrintCustomer", .bool),
            FieldSpec("SkipPrintMerchant", .bool),
            FieldSpec("SkipPaymentOptionScreen", .bool),
            FieldSpec("Customer", .object(customer)),
            FieldSpec("Products", .array(of: .object(product), nonEmpty: true)),
            FieldSpec("ReceiptOptions", .object(receiptOptions)),
        ]
        if sync {
            fields.append(FieldSpec("SendNotificationDeviceDisconnected", .bool))
        }
        return BodySchema(
            fields: fields, exactlyOneOf: [["TerminalId", "TerminalTagCode"]], rules: [productsAddUp])
    }

    /// Σ Products[].Amount × Quantity must equal Amount, in exact decimal arithmetic.
    public static let productsAddUp: BodySchema.Rule = { body, path in
        guard let products = body.value(forExactKey: "Products")?.arrayValue,
            let amount = body.value(forExactKey: "Amount")?.decimalValue
        else { return nil }
        var total = Decimal(0)
        for line in products {
            guard let unit = line.value(forExactKey: "Amount")?.decimalValue,
                let quantity = line.value(forExactKey: "Quantity")?.numberLiteral.flatMap({ Int($0) })
            else { return nil }  // already refused by the field checks
            total += unit * Decimal(quantity)
        }
        guard total == amount else {
            let field = BodySchema.join(path, "Products")
            return ValidationError(
                code: .productTotalMismatch, field: field,
                description: "\(field) add up to \(total) (sum of Amount × Quantity) but Amount is \(amount)")
        }
        return nil
    }

    /// Cancel and rollback: `PaymentRequestId` (inserted by the worker).
    public static func followUp(sync: Bool) -> BodySchema {
        var fields = [FieldSpec("PaymentRequestId", .guid, required: true)]
        if sync {
            fields.append(FieldSpec("SendNotificationDeviceDisconnected", .bool))
        }
        return BodySchema(fields: fields)
    }

    /// Async and sync pair request: one of `TerminalId` / `TerminalTagCode`.
    public static let pairRequest = BodySchema(
        fields: [
            FieldSpec("TerminalId", .guid),
            FieldSpec("TerminalTagCode", text(Limit.terminalTagCode, nonEmpty: true)),
        ],
        exactlyOneOf: [["TerminalId", "TerminalTagCode"]])

    /// Async pair confirm.
    public static let pairConfirm = BodySchema(fields: [
        FieldSpec("PairAsyncRequestId", .guid, required: true)
    ])

    /// Marketplace approve: `PaymentId`, a positive integer; the `pw`/`self` variants also know
    /// `Payout` and `SameReflectionDateWithMember`.
    public static func marketplaceApprove(_ variant: MarketplaceApproveVariant) -> BodySchema {
        var fields = [FieldSpec("PaymentId", .integer(minimum: 1), required: true)]
        if variant != .payment {
            fields.append(
                FieldSpec(
                    "Payout",
                    .object(
                        BodySchema(fields: [
                            FieldSpec("DescriptionApply", .bool),
                            FieldSpec("Description", text(nil)),
                        ]))))
            fields.append(FieldSpec("SameReflectionDateWithMember", .bool))
        }
        return BodySchema(fields: fields)
    }

    /// Payment list: paging and a date range (yyyy-MM-dd, start ≤ end).
    public static let paymentList = BodySchema(
        fields: [
            FieldSpec("pageIndex", .integer(minimum: 0), required: true),
            FieldSpec("pageSize", .integer(minimum: 1), required: true),
            FieldSpec("startDate", .date, required: true),
            FieldSpec("endDate", .date, required: true),
        ],
        rules: [
            { body, path in
                if let start = body.value(forExactKey: "startDate")?.stringValue,
                    let end = body.value(forExactKey: "endDate")?.stringValue, start > end
                {
                    let field = BodySchema.join(path, "endDate")
                    return ValidationError(
                        code: .invalidDate, field: field, description: "\(field) \(end) is before startDate \(start)")
                }
                return nil
            }
        ])
}
