import Foundation
import OutboxModel
import PaywallClient

/// The simulated Paywall's behaviour behind HTTP, as a pure value type: credentials,
/// validation (the client's own schemas), the payment book, pairing and the marketplace.
/// The HTTP layer adds faults, the request log and real time around it.
public struct SimulatedPaywall: Sendable {
    /// The accepted credentials.
    public var credentials: SimulatorCredentials
    /// Payments and terminals.
    public var model: DeviceModel
    /// Marketplace approvals.
    public var ledger = MarketplaceLedger()
    /// Pair requests.
    public var pairing = PairingBook()
    /// The HTTP status of a `System.AuthError` answer (401 unless set; 200 plays a Paywall that
    /// reports it in a 200 envelope).
    public var authErrorHTTPStatus = 401
    /// What validation does with a key the catalog does not list (refused by default).
    public var unknownFields: UnknownFieldPolicy = .refuse
    /// Sale requests per MerchantUniqueCode (lowercase), maintained by ``countReceivedSale(_:)``
    /// and ``handle(_:now:)``.
    public private(set) var saleCounts: [String: SaleRequestCount] = [:]
    private var ids: SplitMix64

    /// Creates a simulated Paywall whose generated ids come from `seed`.
    public init(
        seed: UInt64, credentials: SimulatorCredentials = SimulatorCredentials(),
        device: DeviceSettings = DeviceSettings()
    ) {
        self.credentials = credentials
        self.model = DeviceModel(settings: device)
        // A stream of its own, so generated ids never shift the fault sequence.
        self.ids = SplitMix64(seed: seed ^ 0x5EED_1D5E_ED1D_5EED)
    }

    /// Counts a sale request as received (called for every sale request, before faults).
    public mutating func countReceivedSale(_ call: PaywallCall) {
        guard call.route.isSale, let code = Self.merchantUniqueCode(in: call.body) else { return }
        saleCounts[code, default: SaleRequestCount()].received += 1
    }

    static func merchantUniqueCode(in body: [UInt8]) -> String? {
        guard let json = try? JSONValue.parse(bytes: body) else { return nil }
        return json.value(forKey: "MerchantUniqueCode")?.stringValue?.lowercased()
    }

    /// Answers one call at `now`.
    public mutating func handle(_ call: PaywallCall, now: EpochMillis) -> SimulatedAnswer {
        if let refusal = authorize(call) { return refusal }
        let body: JSONValue
        switch validate(call) {
        case .success(let value): body = value
        case .failure(let error): return Self.invalid(call.route, error)
        }
        switch call.route {
        case .asyncSale: return sale(body, channel: .async, now: now)
        case .syncSale: return sale(body, channel: .sync, now: now)
        case .asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback:
            return followUp(call.route, body, now: now)
        case .asyncPairRequest, .syncPairRequest: return pairRequest(call.route, body)
        case .asyncPairConfirm: return pairConfirm(body)
        case .paymentInquiry: return inquiry(call.pathParameter ?? "", now: now)
        case .paymentList: return list(body, now: now)
        case .paymentActivities: return activities(body, now: now)
        case .marketplaceApprove: return approve(body)
        case .approvalReport: return report(call.headers)
        }
    }

    // MARK: Credentials and validation

    func authorize(_ call: PaywallCall) -> SimulatedAnswer? {
        let kind = call.route.credentials
        let expected =
            kind == .private
            ? (credentials.privateKey, credentials.privateClient) : (credentials.publicKey, credentials.publicClient)
        if call.headers[kind.keyHeader] == expected.0 && call.headers[kind.clientHeader] == expected.1 { return nil }
        let message = "Missing or wrong \(kind.keyHeader) / \(kind.clientHeader) headers."
        switch call.route.api {
        case .payment:
            return .paymentAPI(status: 401, errorCode: 401, result: false, message: message, body: .null)
        case .physical:
            // Which HTTP status comes with System.AuthError is not documented (API-NOTES S8,
            // "still open"); the simulator answers 401 by default, or 200 when configured.
            return .physicalError(
                status: authErrorHTTPStatus, casing: call.route.casing, errorCode: DeviceRefusal.genericErrorCode,
                message: message, clientMessage: PhysicalError.authError.rawValue)
        }
    }

    /// Parses and validates the body (or path parameter / header) exactly as the client does.
    func validate(_ call: PaywallCall) -> Result<JSONValue, ValidationError> {
        switch call.route {
        case .paymentInquiry:
            let id = call.pathParameter ?? ""
            do {
                try PaywallRequestValidator.validatePaymentRequestId(id, field: "paymentRequestId")
            } catch {
                return .failure(error)
            }
            return .success(.null)
        case .approvalReport:
            guard let text = call.headers["paymentid"], let id = Int64(text), id >= 1 else {
                return .failure(
                    ValidationError(
                        code: .missingField, field: "paymentid",
                        description: "header paymentid must be a positive integer"))
            }
            return .success(.number(String(id)))
        default:
            let json: JSONValue
            do {
                json = try JSONValue.parse(bytes: call.body)
            } catch {
                return .failure(PaywallRequestValidator.invalidJSON(error, what: "the body"))
            }
            do {
                try call.route.endpoint?.body?.check(json, unknownFields: unknownFields)
            } catch {
                return .failure(error)
            }
            return .success(json)
        }
    }

    static func invalid(_ route: SimulatorRoute, _ error: ValidationError) -> SimulatedAnswer {
        switch route.api {
        case .payment:
            .paymentAPI(status: 400, errorCode: 2, result: false, message: error.description, body: .null)
        case .physical:
            .physicalError(
                status: 400, casing: route.casing, errorCode: DeviceRefusal.genericErrorCode,
                message: error.description, clientMessage: PhysicalError.validationError.rawValue)
        }
    }

    static func refused(_ route: SimulatorRoute, _ refusal: DeviceRefusal) -> SimulatedAnswer {
        .physicalError(
            casing: route.casing, errorCode: refusal.errorCode, message: refusal.message,
            clientMessage: refusal.clientMessage)
    }

    // MARK: Payments

    mutating func sale(_ body: JSONValue, channel: PaymentChannel, now: EpochMillis) -> SimulatedAnswer {
        let route: SimulatorRoute = channel == .async ? .asyncSale : .syncSale
        let order = SaleOrder(
            channel: channel,
            terminalId: body.value(forExactKey: "TerminalId")?.stringValue,
            terminalTagCode: body.value(forExactKey: "TerminalTagCode")?.stringValue,
            merchantUniqueCode: body.value(forExactKey: "MerchantUniqueCode")?.stringValue ?? "",
            amount: body.value(forExactKey: "Amount")?.numberLiteral ?? "0",
            currencyId: Self.literal(body.value(forExactKey: "CurrencyId")),
            displayCode: body.value(forExactKey: "DisplayCode")?.stringValue,
            callbackAddress: body.value(forExactKey: "CallbackAddress")?.stringValue)
        let code = order.merchantUniqueCode.lowercased()
        saleCounts[code, default: SaleRequestCount()].processed += 1
        let result = model.sale(
            order, paymentRequestId: ids.nextGUID(), activityId: ids.nextGUID(),
            terminalId: Self.terminalId(for: order), now: now)
        switch result {
        case .success(let answer):
            saleCounts[code, default: SaleRequestCount()].accepted += 1
            return .physical(casing: route.casing, result: Self.commandResult(answer))
        case .failure(let refusal):
            return Self.refused(route, refusal)
        }
    }

    mutating func followUp(_ route: SimulatorRoute, _ body: JSONValue, now: EpochMillis) -> SimulatedAnswer {
        let id = body.value(forExactKey: "PaymentRequestId")?.stringValue ?? ""
        let result: Result<CommandAnswer, DeviceRefusal>
        switch route {
        case .syncSaleRollback: result = model.rollbackSale(paymentRequestId: id, now: now)
        case .syncCancelRollback: result = model.rollbackCancel(paymentRequestId: id, now: now)
        default: result = model.cancel(paymentRequestId: id, activityId: ids.nextGUID(), now: now)
        }
        switch result {
        case .success(let answer): return .physical(casing: route.casing, result: Self.commandResult(answer))
        case .failure(let refusal): return Self.refused(route, refusal)
        }
    }

    static func commandResult(_ answer: CommandAnswer) -> JSONValue {
        .object([
            .init("PaymentRequestId", .string(answer.paymentRequestId)),
            .init("PaymentRequestActivityId", .string(answer.activityId)),
            .init("PaymentRequestActivityTypeId", .number(String(answer.activityType.rawValue))),
            .init("PaymentStatus", .number(String(answer.status.rawValue))),
        ])
    }

    mutating func inquiry(_ id: String, now: EpochMillis) -> SimulatedAnswer {
        model.advance(to: now)
        guard let payment = model.payment(id: id) else { return Self.refused(.paymentInquiry, .paymentNotFound) }
        return .physical(casing: .pascal, result: Self.inquiryResult(payment))
    }

    static func inquiryResult(_ p: SimulatedPayment) -> JSONValue {
        let latest = p.latest
        return .object([
            .init("PaymentRequestId", .string(p.paymentRequestId)),
            .init("PaymentRequestActivityId", .string(latest.id)),
            .init("TerminalId", .string(p.terminalId)),
            .init("MerchantUniqueCode", .string(p.order.merchantUniqueCode)),
            .init("DisplayCode", p.order.displayCode.map(JSONValue.string) ?? .null),
            .init("CallbackAddress", p.order.callbackAddress.map(JSONValue.string) ?? .null),
            .init("Amount", .number(p.order.amount)),
            .init("PaymentChannelId", .number(String(p.order.channel.rawValue))),
            .init("PaymentChannel", .string(p.order.channel.name)),
            .init("CurrencyId", Self.currencyValue(p.order.currencyId)),
            .init("Currency", .string(currencyName(p.order.currencyId))),
            .init("IP", .string("127.0.0.1")),
            .init("PaymentTypeId", .number(String(latest.type.rawValue))),
            .init("PaymentType", .string(latest.type.name)),
            .init("PaymentStatusId", .number(String(latest.status.rawValue))),
            .init("PaymentStatus", .string(latest.status.name)),
            .init("Message", p.message.map(JSONValue.string) ?? .null),
            .init("CreatedDate", .string(SimulatorDate.timestamp(p.createdAt))),
            .init("ModifiedDate", p.modifiedAt.map { .string(SimulatorDate.timestamp($0)) } ?? .null),
        ])
    }

    mutating func list(_ body: JSONValue, now: EpochMillis) -> SimulatedAnswer {
        model.advance(to: now)
        let pageIndex = body.value(forExactKey: "pageIndex")?.intValue ?? 0
        let pageSize = max(1, body.value(forExactKey: "pageSize")?.intValue ?? 1)
        let start = body.value(forExactKey: "startDate")?.stringValue ?? ""
        let end = body.value(forExactKey: "endDate")?.stringValue ?? ""
        let matching = model.payments.filter {
            let day = SimulatorDate.day($0.createdAt)
            return day >= start && day <= end
        }
        let first = min(
            matching.count,
            pageIndex.multipliedReportingOverflow(by: pageSize).overflow ? matching.count : pageIndex * pageSize)
        let page = matching[first..<min(matching.count, first + pageSize)]
        let items = page.map { p -> JSONValue in
            let latest = p.latest
            return .object([
                .init("Id", .string(p.paymentRequestId)),
                .init("TerminalId", .string(p.terminalId)),
                .init("MerchantUniqueCode", .string(p.order.merchantUniqueCode)),
                .init("DisplayCode", p.order.displayCode.map(JSONValue.string) ?? .null),
                .init("Amount", .number(p.order.amount)),
                .init("PaymentChannelId", .number(String(p.order.channel.rawValue))),
                .init("PaymentChannelName", .string(p.order.channel.name)),
                .init("CurrencyId", Self.currencyValue(p.order.currencyId)),
                .init("CurrencyName", .string(Self.currencyName(p.order.currencyId))),
                .init("IP", .string("127.0.0.1")),
                .init("PaymentRequestActivityId", .string(latest.id)),
                .init("PaymentTypeId", .number(String(latest.type.rawValue))),
                .init("PaymentTypeName", .string(latest.type.name)),
                .init("PaymentStatusId", .number(String(latest.status.rawValue))),
                .init("PaymentStatusName", .string(latest.status.name)),
                .init("Date", .string(SimulatorDate.timestamp(p.createdAt))),
            ])
        }
        return .physical(
            casing: .pascal,
            result: Self.page(Array(items), pageIndex: pageIndex, pageSize: pageSize, total: matching.count))
    }

    /// `Result` of a list: `Items` plus `Pagination` (0-based `CurrentPage`), as
    /// `docs/fiziksel-pos/6.-odeme/1.-odemeler.md` shows.
    static func page(_ items: [JSONValue], pageIndex: Int, pageSize: Int, total: Int) -> JSONValue {
        .object([
            .init("Items", .array(items)),
            .init(
                "Pagination",
                .object([
                    .init("CurrentPage", .number(String(pageIndex))),
                    .init("PageCount", .number(String((total + pageSize - 1) / pageSize))),
                    .init("PageSize", .number(String(pageSize))),
                    .init("TotalCount", .number(String(total))),
                ])),
        ])
    }

    /// POST /api/payment/activities: every status each activity of the payment reached, oldest
    /// first (`docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md`).
    mutating func activities(_ body: JSONValue, now: EpochMillis) -> SimulatedAnswer {
        model.advance(to: now)
        let id = body.value(forExactKey: "PaymentRequestId")?.stringValue ?? ""
        guard let payment = model.payment(id: id) else { return Self.refused(.paymentActivities, .paymentNotFound) }
        let pageIndex = body.value(forExactKey: "pageIndex")?.intValue ?? 0
        let pageSize = max(1, body.value(forExactKey: "pageSize")?.intValue ?? 1)
        let all = payment.activities
        let first = min(
            all.count, pageIndex.multipliedReportingOverflow(by: pageSize).overflow ? all.count : pageIndex * pageSize)
        let items = all[first..<min(all.count, first + pageSize)].map { row -> JSONValue in
            .object([
                .init("Id", .string(row.id)),
                .init("PaymentTypeId", .number(String(row.type.rawValue))),
                .init("PaymentTypeName", .string(row.type.name)),
                .init("PaymentStatusId", .number(String(row.status.rawValue))),
                .init("PaymentStatusName", .string(row.status.name)),
                .init("Date", .string(SimulatorDate.timestamp(row.at))),
            ])
        }
        return .physical(
            casing: .pascal, result: Self.page(items, pageIndex: pageIndex, pageSize: pageSize, total: all.count))
    }

    // MARK: Pairing

    mutating func pairRequest(_ route: SimulatorRoute, _ body: JSONValue) -> SimulatedAnswer {
        let tag = body.value(forExactKey: "TerminalTagCode")?.stringValue
        let id = body.value(forExactKey: "TerminalId")?.stringValue
        let order = SaleOrder(
            channel: .async, terminalId: id, terminalTagCode: tag, merchantUniqueCode: "", amount: "0")
        let requestId = ids.nextGUID()
        let pairCode = String(100_000 + ids.next() % 900_000)
        if route == .asyncPairRequest {
            _ = pairing.requestAsync(id: requestId, terminalKey: order.terminalKey, pairCode: pairCode)
            return .physical(
                casing: .pascal,
                result: .object([.init("PairAsyncRequestId", .string(requestId)), .init("PairCode", .string(pairCode))])
            )
        }
        pairing.requestSync(id: requestId, terminalKey: order.terminalKey)
        return .physical(
            casing: .pascal,
            result: .object([
                .init("PairRequestId", .string(requestId)),
                .init("TerminalId", .string(Self.terminalId(for: order))),
                .init("PairCode", .string(pairCode)),
            ]))
    }

    mutating func pairConfirm(_ body: JSONValue) -> SimulatedAnswer {
        let id = body.value(forExactKey: "PairAsyncRequestId")?.stringValue ?? ""
        guard let pairId = pairing.confirmAsync(id: id, newTerminalPairId: ids.nextGUID()) else {
            return .physicalError(
                casing: .pascal, errorCode: DeviceRefusal.genericErrorCode, message: "Pair request not found.",
                clientMessage: PhysicalError.pairRequestNotFound.rawValue)
        }
        return .physical(casing: .pascal, result: .object([.init("TerminalPairId", .string(pairId))]))
    }

    // MARK: Marketplace

    mutating func approve(_ body: JSONValue) -> SimulatedAnswer {
        let paymentId = body.value(forExactKey: "PaymentId")?.numberLiteral.flatMap { Int64($0) } ?? 0
        switch ledger.approve(paymentId: paymentId) {
        case .paymentNotFound:
            return .paymentAPI(errorCode: 32, result: false, message: "Payment not found.", body: .null)
        case .done(let success, let fail):
            let list = JSONValue.object([
                .init("Success", .array(success.map { .object([.init("ProductId", .number(String($0)))]) })),
                .init(
                    "Fail",
                    .array(
                        fail.map {
                            .object([
                                .init("ProductId", .number(String($0.productId))), .init("Reason", .string($0.reason)),
                            ])
                        })),
            ])
            if fail.isEmpty {
                return .paymentAPI(errorCode: 0, result: true, message: "Success", body: list)
            }
            return .paymentAPI(errorCode: 1, result: false, message: "Some products could not be approved.", body: list)
        }
    }

    func report(_ headers: PaywallHeaders) -> SimulatedAnswer {
        let paymentId = headers["paymentid"].flatMap { Int64($0) } ?? 0
        guard let report = ledger.report(paymentId: paymentId) else {
            return .paymentAPI(errorCode: 32, result: false, message: "Payment not found.", body: .null)
        }
        func products(_ ids: [Int64]) -> JSONValue {
            .array(ids.map { .object([.init("ProductId", .number(String($0)))]) })
        }
        return .paymentAPI(
            errorCode: 0, result: true, message: "Success",
            body: .object([
                .init("Approved", products(report.approved)), .init("NotApproved", products(report.notApproved)),
            ]))
    }

    // MARK: Helpers

    /// The TerminalId reported for a sale: the id as sent (lowercase), or a GUID derived from the
    /// tag code (stable across runs and seeds).
    static func terminalId(for order: SaleOrder) -> String {
        if let id = order.terminalId { return id.lowercased() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (order.terminalTagCode ?? "").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        var generator = SplitMix64(seed: hash)
        return generator.nextGUID()
    }

    static func literal(_ value: JSONValue?) -> String {
        guard let value else { return "1" }
        return value.serialized()
    }

    static func currencyValue(_ literal: String) -> JSONValue {
        (try? JSONValue.parse(literal)) ?? .number("1")
    }

    static func currencyName(_ literal: String) -> String {
        let trimmed = literal.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return trimmed == "1" ? "TRY" : "Currency\(trimmed)"
    }
}
