import Foundation

/// The known fields of every request body. Limits say where they come from: "Paywall" limits
/// are from the sale pages (`docs/fiziksel-pos/6.-odeme/async/1.-satis.md`,
/// `docs/fiziksel-pos/6.-odeme/sync/1.-satis.md`, API-NOTES S4); the few that are our own choice
/// say so. docs/paywall-client.md lists them all.
public enum RequestBodies {
    /// Maximum lengths (UTF-16 code units, as .NET counts), all Paywall's (sale pages, S4).
    public enum Limit {
        /// TerminalTagCode (Paywall).
        public static let terminalTagCode = 25
        /// DisplayCode (Paywall).
        public static let displayCode = 25
        /// CallbackAddress (Paywall).
        public static let callbackAddress = 150
        /// Products[].Name (Paywall).
        public static let productName = 75
        /// Customer FirstName, MiddleName, LastName (Paywall).
        public static let personName = 50
        /// Customer.CompanyName (Paywall).
        public static let companyName = 175
        /// Customer.TaxOfficeCode (Paywall).
        public static let taxOfficeCode = 50
        /// Customer.TaxNumber (Paywall).
        public static let taxNumber = 25
        /// Customer.Identity (Paywall).
        public static let identity = 20
        /// Customer.Phone (Paywall).
        public static let phone = 20
        /// Customer.Email (Paywall).
        public static let email = 100
        /// Customer.Country (Paywall).
        public static let country = 50
        /// Customer.City, District, Neighborhood (Paywall).
        public static let place = 100
        /// Customer.Address (Paywall).
        public static let address = 255
        /// ReceiptOptions Top/Bottom Text (Paywall).
        public static let receiptText = 150
        /// ReceiptOptions Top/Bottom FontSize: at most 2 digits (Paywall: length 2); 1 as the
        /// smallest is our choice.
        public static let fontSize: ClosedRange<Int> = 1...99
    }

    /// Customer types (`Customer.Type`): 0 unknown, 1 individual, 2 company (Paywall,
    /// `docs/fiziksel-pos/sistem-verileri/musteri-tipleri.md`, S4).
    public static let customerTypes = [0, 1, 2]
    /// Tax groups (`Products[].TaxGroupId`): KDV 0, 1, 10, 20 (Paywall,
    /// `docs/fiziksel-pos/sistem-verileri/vergi-gruplari.md`, S4).
    public static let taxGroups = [0, 1, 10, 20]

    /// Free text (names, addresses, receipt lines): control and bidirectional characters refused.
    private static func text(_ max: Int?, nonEmpty: Bool = false) -> FieldType {
        .string(maxLength: max, nonEmpty: nonEmpty, kind: .freeText)
    }

    /// A code, number or address read by machines or matched exactly: invisible characters
    /// refused too (``TextKind/identifier``).
    private static func code(_ max: Int?, nonEmpty: Bool = false) -> FieldType {
        .string(maxLength: max, nonEmpty: nonEmpty, kind: .identifier)
    }

    /// `Customer` on a sale: `Type` required (Paywall); every length Paywall's. Tax office, tax
    /// number, phone, email and identity number are identifiers; names and places free text.
    public static let customer = BodySchema(fields: [
        FieldSpec("Type", .integerOneOf(customerTypes), required: true),
        FieldSpec("FirstName", text(Limit.personName)),
        FieldSpec("MiddleName", text(Limit.personName)),
        FieldSpec("LastName", text(Limit.personName)),
        FieldSpec("CompanyName", text(Limit.companyName)),
        FieldSpec("TaxOfficeCode", code(Limit.taxOfficeCode)),
        FieldSpec("TaxNumber", code(Limit.taxNumber)),
        FieldSpec("Phone", code(Limit.phone)),
        FieldSpec("Email", code(Limit.email)),
        FieldSpec("Identity", code(Limit.identity)),
        FieldSpec("Country", text(Limit.country)),
        FieldSpec("City", text(Limit.place)),
        FieldSpec("District", text(Limit.place)),
        FieldSpec("Neighborhood", text(Limit.place)),
        FieldSpec("Address", text(Limit.address)),
    ])

    /// One `Products[]` line. Paywall requires `Name`, `TaxGroupId`, `UnitCodeId`, `Amount`,
    /// `Quantity`; its table also marks `CurrencyId` required but no example sends it, so we keep
    /// it optional (our choice). `Amount` is taken as the unit price (our choice: the docs do
    /// not say).
    public static let product = BodySchema(fields: [
        FieldSpec("Name", text(Limit.productName, nonEmpty: true), required: true),
        FieldSpec("TaxGroupId", .integerOneOf(taxGroups), required: true),
        FieldSpec("UnitCodeId", .integer(minimum: 1), required: true),
        FieldSpec("Amount", .amount, required: true),
        FieldSpec("Quantity", .integer(minimum: 1), required: true),
        FieldSpec("PaymentMethodId", .integer(minimum: 1)),
        FieldSpec("CurrencyId", .currency),
    ])

    /// `ReceiptOptions.Top` / `.Bottom`: both members required (Paywall).
    public static let receiptLine = BodySchema(fields: [
        FieldSpec("Text", text(Limit.receiptText), required: true),
        FieldSpec("FontSize", .integerIn(Limit.fontSize), required: true),
    ])

    /// `ReceiptOptions`: all four members required when it is sent (Paywall).
    public static let receiptOptions = BodySchema(fields: [
        FieldSpec("TopSupport", .bool, required: true),
        FieldSpec("Top", .object(receiptLine), required: true),
        FieldSpec("BottomSupport", .bool, required: true),
        FieldSpec("Bottom", .object(receiptLine), required: true),
    ])

    /// An async (`sync == false`) or sync sale.
    public static func sale(sync: Bool) -> BodySchema {
        var fields = [
            FieldSpec("TerminalId", .guid),
            FieldSpec("TerminalTagCode", code(Limit.terminalTagCode, nonEmpty: true)),
            FieldSpec("MerchantUniqueCode", .guid, required: true),
            FieldSpec("Amount", .amount, required: true),
            FieldSpec("CurrencyId", .currency, required: true),
            FieldSpec("DisplayCode", code(Limit.displayCode)),
            FieldSpec("CallbackAddress", code(Limit.callbackAddress)),
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
            FieldSpec("Products", .array(of: .object(product), nonEmpty: true), required: true),
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
            FieldSpec("TerminalTagCode", code(Limit.terminalTagCode, nonEmpty: true)),
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

    /// Activities of one payment: paging and `PaymentRequestId`
    /// (`docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md`).
    public static let paymentActivities = BodySchema(fields: [
        FieldSpec("pageIndex", .integer(minimum: 0), required: true),
        FieldSpec("pageSize", .integer(minimum: 1), required: true),
        FieldSpec("PaymentRequestId", .guid, required: true),
    ])

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
