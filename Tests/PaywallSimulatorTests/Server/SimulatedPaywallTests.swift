import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

@Suite("Simulated Paywall behind HTTP (pure)")
struct SimulatedPaywallTests {
    let builder = TestSupport.builder()
    let t0: EpochMillis = 1_767_225_600_000

    func sale(
        _ paywall: inout SimulatedPaywall, code: String, amount: String = "22.10", route: SimulatorRoute = .syncSale,
        at now: EpochMillis
    )
        throws -> SimulatedAnswer
    {
        let kind: CommandKind = route == .asyncSale ? .asyncSale : .syncSale
        let request = try builder.build(kind: kind, payload: TestSupport.salePayload(code: code, amount: amount))
        return paywall.handle(TestSupport.call(request, route: route), now: now)
    }

    @Test func saleAnswersPascalCaseWithStatusTwo() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let answer = try sale(&paywall, code: TestSupport.guid(1), at: t0)
        #expect(answer.status == 200)
        #expect(answer.body.value(forExactKey: "Succeeded") == .bool(true))
        #expect(answer.body.value(forExactKey: "Result")?.value(forExactKey: "PaymentStatus") == .number("2"))
        #expect(
            answer.body.value(forExactKey: "Result")?.value(forExactKey: "PaymentRequestId")?.stringValue.map(
                GUID.isValid) == true)
    }

    @Test func cancelAndRollbacksAnswerCamelCase() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let created = try sale(&paywall, code: TestSupport.guid(1), at: t0)
        let id = try #require(created.body["Result"]?["PaymentRequestId"]?.stringValue)
        for (kind, route) in [
            (CommandKind.syncSaleRollback, SimulatorRoute.syncSaleRollback), (.syncCancel, .syncCancel),
            (.syncCancelRollback, .syncCancelRollback),
        ] {
            let request = try builder.build(kind: kind, payload: "{}", paymentRequestId: id)
            let answer = paywall.handle(TestSupport.call(request, route: route), now: t0 + 1_000)
            let keys = answer.body.objectMembers?.map(\.key) ?? []
            #expect(keys == ["result", "errorCode", "succeeded", "failed", "message", "clientMessage"], "\(kind)")
        }
    }

    @Test func duplicateAnswerCarriesNoPaymentRequestId() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let first = try sale(&paywall, code: TestSupport.guid(1), at: t0)
        let firstId = try #require(first.body["Result"]?["PaymentRequestId"]?.stringValue)
        let second = try sale(&paywall, code: TestSupport.guid(1), amount: "5", at: t0 + 1)
        #expect(second.body["Result"] == .null)
        #expect(second.body["ErrorCode"] == .number("1"))
        #expect(second.body["ClientMessage"] == .string("Payment.Async.MerchantUniqueCodeAlreadyExists"))
        #expect(!second.body.serialized().contains(firstId))
        #expect(paywall.saleCounts[TestSupport.guid(1)] == SaleRequestCount(received: 0, processed: 2, accepted: 1))
    }

    @Test func inquiryTellsTheTruthWithTheAmountLiteral() throws {
        var paywall = SimulatedPaywall(seed: 1, device: DeviceSettings(takeDelayMillis: 1_000, processingMillis: 1_000))
        let created = try sale(&paywall, code: TestSupport.guid(1), amount: "22.10", at: t0)
        let id = try #require(created.body["Result"]?["PaymentRequestId"]?.stringValue)
        let inquiry = try builder.paymentInquiry(paymentRequestId: id)
        // S1: 2 SentToDevice → 11 TakenByDevice → 4 Successful (22.10 succeeds by amount).
        for (offset, status) in [(Int64(0), "2"), (1_000, "11"), (2_000, "4")] {
            let answer = paywall.handle(
                TestSupport.call(inquiry, route: .paymentInquiry, pathParameter: id), now: t0 + offset)
            let result = try #require(answer.body["Result"])
            #expect(result["PaymentStatusId"] == .number(status))
            #expect(result["Amount"] == .number("22.10"))
            #expect(result["MerchantUniqueCode"] == .string(TestSupport.guid(1)))
        }
        #expect(try builder.paymentInquiry(paymentRequestId: id).path.hasSuffix(id))
    }

    @Test func inquiryOfAnUnknownPayment() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let id = TestSupport.guid(99)
        let answer = paywall.handle(
            TestSupport.call(
                try builder.paymentInquiry(paymentRequestId: id), route: .paymentInquiry, pathParameter: id), now: t0)
        #expect(answer.body["ErrorCode"] == .number("1"))
        #expect(answer.body["ClientMessage"] == .string("Payment.Request.RequestNotFound"))
        #expect(answer.body["Succeeded"] == .bool(false))
    }

    @Test func listPagesThroughEveryPaymentOfTheDateRange() throws {
        var paywall = SimulatedPaywall(seed: 1)
        for n in 1...5 { _ = try sale(&paywall, code: TestSupport.guid(n), amount: "1.0\(n)", at: t0 + Int64(n)) }
        _ = try sale(&paywall, code: TestSupport.guid(6), at: t0 + 86_400_000)  // next day
        let page0 = try builder.paymentList(pageIndex: 0, pageSize: 2, startDate: "2026-01-01", endDate: "2026-01-01")
        let answer = paywall.handle(TestSupport.call(page0, route: .paymentList), now: t0 + 86_400_000)
        let result = try #require(answer.body["Result"])
        // docs/fiziksel-pos/6.-odeme/1.-odemeler.md: paging nested under Result.Pagination, 0-based.
        #expect(result["Pagination"]?["TotalCount"] == .number("5"))
        #expect(result["Pagination"]?["PageCount"] == .number("3"))
        #expect(result["Pagination"]?["CurrentPage"] == .number("0"))
        #expect(result["Items"]?.arrayValue?.first?["Id"]?.stringValue.map(GUID.isValid) == true)
        #expect(result["Items"]?.arrayValue?.compactMap { $0["Amount"]?.numberLiteral } == ["1.01", "1.02"])
        let page2 = try builder.paymentList(pageIndex: 2, pageSize: 2, startDate: "2026-01-01", endDate: "2026-01-02")
        let last = paywall.handle(TestSupport.call(page2, route: .paymentList), now: t0 + 86_400_000)
        #expect(last.body["Result"]?["Items"]?.arrayValue?.count == 2)
        #expect(last.body["Result"]?["Pagination"]?["TotalCount"] == .number("6"))
    }

    @Test func wrongOrMissingCredentialsAre401() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let request = try builder.build(kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(1)))
        var wrong = request.headers.fields.map { ($0.name, $0.name == "apikeyprivate" ? "nope" : $0.value) }
        let answerWrong = paywall.handle(
            PaywallCall(route: .syncSale, headers: PaywallHeaders(wrong), body: request.body ?? []), now: t0)
        #expect(answerWrong.status == 401)
        wrong = request.headers.fields.filter { $0.name != "apiclientprivate" }.map { ($0.name, $0.value) }
        let answerMissing = paywall.handle(
            PaywallCall(route: .syncSale, headers: PaywallHeaders(wrong), body: request.body ?? []), now: t0)
        #expect(answerMissing.status == 401)
        // Public keys on a private endpoint are refused too.
        let approve = try builder.build(kind: .marketplaceApprove, payload: #"{"PaymentId":5}"#)
        let crossed = paywall.handle(
            PaywallCall(route: .syncSale, headers: approve.headers, body: request.body ?? []), now: t0)
        #expect(crossed.status == 401)
        #expect(paywall.model.payments.isEmpty)
    }

    /// Bodies the client refuses are refused by the simulator too, naming the same field.
    @Test(arguments: [
        (#"{"TerminalTagCode":"T1","Amount":1,"CurrencyId":1}"#, "MerchantUniqueCode"),
        (#"{"TerminalTagCode":"T1","MerchantUniqueCode":"nope","Amount":1,"CurrencyId":1}"#, "MerchantUniqueCode"),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":0,"CurrencyId":1}"#,
            "Amount"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":"1","CurrencyId":1}"#,
            "Amount"
        ),
        (
            #"{"TerminalId":"0b8f7a52-6d44-4c43-9a4e-000000000009","TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1,"Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":1,"Quantity":1}]}"#,
            "TerminalId|TerminalTagCode"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","amount":1,"CurrencyId":1}"#,
            "amount"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":10,"CurrencyId":1,"Products":[{"Name":"x","TaxGroupId":20,"UnitCodeId":4,"Amount":3,"Quantity":3}]}"#,
            "Products"
        ),
        // S4: what Paywall refuses, the simulator refuses (an independent check of what is sent).
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1}"#,
            "Products"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1,"Products":[{"Name":"I","UnitCodeId":4,"Amount":1,"Quantity":1}]}"#,
            "Products[0].TaxGroupId"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1,"Customer":{"FirstName":"A"},"Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":1,"Quantity":1}]}"#,
            "Customer.Type"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1,"Customer":{"Type":1,"Email":"\#(String(repeating: "e", count: 101))"},"Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":1,"Quantity":1}]}"#,
            "Customer.Email"
        ),
        (#"{"TerminalTagCode":"T1""#, ""),
        // Issue 10: sent anyway, though invalid.
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":22.105,"CurrencyId":1}"#,
            "Amount"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1e2,"CurrencyId":1}"#,
            "Amount"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"00000000-0000-0000-0000-000000000000","Amount":1,"CurrencyId":1}"#,
            "MerchantUniqueCode"
        ),
        (
            #"{"TerminalTagCode":"T\u200B1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1}"#,
            "TerminalTagCode"
        ),
        (
            #"{"TerminalTagCode":"T1","MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001","Amount":1,"CurrencyId":1,"CallbackAdress":"https://m.test"}"#,
            "CallbackAdress"
        ),
        (#"{"TerminalTagCode":"T1","TerminalTagCode":"T2"}"#, "TerminalTagCode"),
    ])
    func invalidBodiesAreRefusedNamingTheField(body: String, field: String) throws {
        var paywall = SimulatedPaywall(seed: 1)
        let clientError: ValidationError
        do {
            _ = try builder.build(kind: .syncSale, payload: body)
            Issue.record("the client accepted \(body)")
            return
        } catch {
            clientError = error
        }
        #expect(clientError.field == field)
        let headers = PaywallHeaders([("apikeyprivate", "sim-private-key"), ("apiclientprivate", "sim-private-client")])
        let answer = paywall.handle(PaywallCall(route: .syncSale, headers: headers, body: Array(body.utf8)), now: t0)
        #expect(answer.status == 400)
        #expect(answer.body["ErrorCode"] == .number("1"))
        #expect(answer.body["ClientMessage"] == .string("System.ValidationError"))
        if let name = field.split(separator: "|").first {
            #expect(answer.body["Message"]?.stringValue?.contains(name) == true)
        }
        #expect(paywall.model.payments.isEmpty)
    }

    @Test func unknownFieldsPassOnlyWhenConfigured() throws {
        let body = Array(
            (String(TestSupport.salePayload(code: TestSupport.guid(1), amount: "22.10").dropLast())
                + #","NewPaywallField":1}"#).utf8)
        let headers = PaywallHeaders([("apikeyprivate", "sim-private-key"), ("apiclientprivate", "sim-private-client")])
        var strict = SimulatedPaywall(seed: 1)
        let refused = strict.handle(PaywallCall(route: .syncSale, headers: headers, body: body), now: t0)
        #expect(refused.status == 400)
        #expect(refused.body["Message"]?.stringValue?.contains("NewPaywallField") == true)
        var lenient = SimulatedPaywall(seed: 1)
        lenient.unknownFields = .passThrough
        let accepted = lenient.handle(PaywallCall(route: .syncSale, headers: headers, body: body), now: t0)
        #expect(accepted.status == 200, "\(accepted.body)")
    }

    @Test func inquiryRefusesTheAllZeroGUID() {
        var paywall = SimulatedPaywall(seed: 1)
        let zero = "00000000-0000-0000-0000-000000000000"
        let headers = PaywallHeaders([("apikeyprivate", "sim-private-key"), ("apiclientprivate", "sim-private-client")])
        let answer = paywall.handle(
            PaywallCall(route: .paymentInquiry, headers: headers, body: [], pathParameter: zero), now: t0)
        #expect(answer.status == 400)
        #expect(answer.body["ClientMessage"] == .string("System.ValidationError"))
    }

    @Test func secondApproveOnEveryPathAnswersAlreadyApproved() throws {
        var paywall = SimulatedPaywall(seed: 1)
        for variant in MarketplaceApproveVariant.allCases {
            let builder = TestSupport.builder(approveVariant: variant)
            let request = try builder.build(kind: .marketplaceApprove, payload: #"{"PaymentId":12}"#)
            let answer = paywall.handle(TestSupport.call(request, route: .marketplaceApprove(variant)), now: t0)
            if variant == .payment {
                #expect(answer.body["ErrorCode"] == .number("0"))
                #expect(answer.body["Result"] == .bool(true))
                #expect(answer.body["Body"]?["Success"]?.arrayValue?.count == 2)
            } else {
                #expect(answer.body["ErrorCode"] == .number("1"))
                #expect(answer.body["Result"] == .bool(false))
                #expect(answer.body["Body"]?["Success"] == .array([]))
                let reasons = answer.body["Body"]?["Fail"]?.arrayValue?.compactMap { $0["Reason"]?.stringValue }
                #expect(reasons == ["This product already approved", "This product already approved"])
            }
        }
    }

    @Test func pairingRequestAndConfirm() throws {
        var paywall = SimulatedPaywall(seed: 1)
        let request = try builder.build(kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#)
        let answer = paywall.handle(TestSupport.call(request, route: .asyncPairRequest), now: t0)
        let pairId = try #require(answer.body["Result"]?["PairAsyncRequestId"]?.stringValue)
        #expect(answer.body["Result"]?["PairCode"]?.stringValue?.count == 6)
        let confirm = try builder.build(kind: .asyncPairConfirm, payload: #"{"PairAsyncRequestId":"\#(pairId)"}"#)
        let confirmed = paywall.handle(TestSupport.call(confirm, route: .asyncPairConfirm), now: t0)
        let terminalPairId = try #require(confirmed.body["Result"]?["TerminalPairId"]?.stringValue)
        let again = paywall.handle(TestSupport.call(confirm, route: .asyncPairConfirm), now: t0)
        #expect(again.body["Result"]?["TerminalPairId"]?.stringValue == terminalPairId)
        let unknown = try builder.build(
            kind: .asyncPairConfirm, payload: #"{"PairAsyncRequestId":"\#(TestSupport.guid(5))"}"#)
        #expect(
            paywall.handle(TestSupport.call(unknown, route: .asyncPairConfirm), now: t0).body["Succeeded"]
                == .bool(false))
        let sync = try builder.build(kind: .syncPairRequest, payload: #"{"TerminalTagCode":"T1"}"#)
        let syncAnswer = paywall.handle(TestSupport.call(sync, route: .syncPairRequest), now: t0)
        #expect(syncAnswer.body["Result"]?["PairRequestId"]?.stringValue.map(GUID.isValid) == true)
        #expect(syncAnswer.body["Result"]?["TerminalId"]?.stringValue.map(GUID.isValid) == true)
    }

    @Test func sameSeedGeneratesTheSameIds() throws {
        var a = SimulatedPaywall(seed: 77)
        var b = SimulatedPaywall(seed: 77)
        let first = try sale(&a, code: TestSupport.guid(1), at: t0)
        let second = try sale(&b, code: TestSupport.guid(1), at: t0)
        #expect(first == second)
    }
}
