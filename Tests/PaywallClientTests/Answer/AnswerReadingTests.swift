import Testing

@testable import PaywallClient

@Suite("Reading answers")
struct AnswerReadingTests {
    static let prid = Fixtures.paymentRequestId

    static func answer(_ body: String, status: Int = 200) -> PaywallAnswer {
        PaywallAnswer(response: PaywallHTTPResponse(status: status, text: body))
    }

    @Test(
        "command ids from both casings",
        arguments: [
            #"{"Result":{"PaymentRequestId":"P","PaymentRequestActivityId":"A","PaymentRequestActivityTypeId":1,"PaymentStatus":2},"ErrorCode":0,"Succeeded":true}"#,
            #"{"result":{"paymentRequestId":"P","paymentRequestActivityId":"A","paymentRequestActivityTypeId":1,"paymentStatus":2},"errorCode":0,"succeeded":true}"#,
            #"{"RESULT":{"PAYMENTREQUESTID":"P","PaymentRequestActivityID":"A","paymentrequestactivitytypeid":"1","PaymentStatusId":2}}"#,
        ])
    func commandIds(body: String) {
        let ids = Self.answer(body).ids
        #expect(ids.paymentRequestId == "P")
        #expect(ids.paymentRequestActivityId == "A")
        #expect(ids.paymentRequestActivityTypeId == 1)
        #expect(ids.paymentStatusId == 2)
    }

    @Test("pair ids")
    func pairIds() {
        let asyncPair = Self.answer(#"{"Result":{"PairAsyncRequestId":"R","PairCode":"012345"},"Succeeded":true}"#).ids
        #expect(asyncPair.pairAsyncRequestId == "R")
        #expect(asyncPair.pairCode == "012345")
        let numericCode = Self.answer(#"{"Result":{"PairRequestId":"Q","TerminalId":"T","PairCode":123456}}"#).ids
        #expect(numericCode.pairRequestId == "Q")
        #expect(numericCode.terminalId == "T")
        #expect(numericCode.pairCode == "123456")
        let confirm = Self.answer(#"{"result":{"terminalPairId":"TP"},"succeeded":true}"#).ids
        #expect(confirm.terminalPairId == "TP")
    }

    @Test("envelope fields verbatim, both envelopes")
    func envelope() throws {
        let physical = try #require(
            PaywallEnvelope(
                try JSONValue.parse(
                    #"{"result":null,"errorCode":12,"succeeded":false,"failed":true,"message":"m","clientMessage":"C"}"#
                )))
        #expect(physical.errorCode == 12)
        #expect(physical.succeeded == false)
        #expect(physical.failed == true)
        #expect(physical.result == nil)
        #expect(physical.message == "m")
        #expect(physical.clientMessage == "C")
        #expect(physical.verdict(for: .physical) == .failure)
        let payment = try #require(
            PaywallEnvelope(try JSONValue.parse(#"{"ErrorCode":0,"Result":true,"Message":"","Body":{"Success":[]}}"#)))
        #expect(payment.resultFlag == true)
        #expect(payment.body != nil)
        #expect(payment.verdict(for: .payment) == .success)
        #expect(PaywallEnvelope(try JSONValue.parse(#"{"title":"x"}"#)) == nil)
        #expect(PaywallEnvelope(try JSONValue.parse("[]")) == nil)
    }

    @Test("inquiry → PaymentInfo, amount kept as literal")
    func inquiry() throws {
        let body = """
            {"Result":{"PaymentRequestId":"\(Self.prid)","PaymentRequestActivityId":"A","TerminalId":"T",\
            "MerchantUniqueCode":"\(Fixtures.merchantUniqueCode)","DisplayCode":"D","CallbackAddress":null,\
            "Amount":22.10,"PaymentChannelId":1,"PaymentChannel":"Async","CurrencyId":1,"Currency":"TRY",\
            "PaymentTypeId":1,"PaymentType":"Sale","PaymentStatusId":2,"PaymentStatus":"SentToDevice",\
            "CreatedDate":"2026-11-21T08:00:00","ModifiedDate":null},"ErrorCode":0,"Succeeded":true,"Failed":false}
            """
        let info = try #require(Self.answer(body).paymentInfo)
        #expect(info.paymentRequestId == Self.prid)
        #expect(info.merchantUniqueCode == Fixtures.merchantUniqueCode)
        #expect(info.amount == "22.10")
        #expect(info.statusId == 2)
        #expect(info.statusName == "SentToDevice")
        #expect(info.paymentTypeId == 1)
        #expect(info.paymentChannelId == 1)
        #expect(info.currencyId == "1")
        #expect(info.createdDate == "2026-11-21T08:00:00")
        #expect(info.modifiedDate == nil)
    }

    @Test("camelCase inquiry with numeric paymentStatus")
    func inquiryCamel() throws {
        let info = try #require(
            Self.answer(#"{"result":{"paymentRequestId":"P","paymentStatus":4,"amount":5},"succeeded":true}"#)
                .paymentInfo)
        #expect(info.statusId == 4)
        #expect(info.statusName == nil)
        #expect(info.amount == "5")
    }

    @Test("payment list page: Items + paging, list items use Id and Date")
    func list() throws {
        let body = """
            {"Result":{"Items":[\
            {"Id":"P1","MerchantUniqueCode":"AAAAAAAA-0000-0000-0000-000000000001","Amount":10.50,"PaymentStatusId":5,"Date":"2026-11-21"},\
            {"Id":"P2","MerchantUniqueCode":"aaaaaaaa-0000-0000-0000-000000000002","Amount":1e2,"PaymentStatusId":2},\
            {"NoId":true}],"CurrentPage":0,"PageCount":3,"PageSize":2,"TotalCount":5},"Succeeded":true}
            """
        let page = try #require(Self.answer(body).paymentListPage)
        #expect(page.items.map(\.paymentRequestId) == ["P1", "P2"])
        #expect(page.items[1].amount == "1e2")
        #expect(page.items[0].createdDate == "2026-11-21")
        #expect(page.pageCount == 3)
        #expect(page.totalCount == 5)
        #expect(page.payment(merchantUniqueCode: "AAAAAAAA-0000-0000-0000-000000000002")?.paymentRequestId == "P2")
        #expect(page.payment(merchantUniqueCode: "AAAAAAAA-0000-0000-0000-000000000009") == nil)
    }

    @Test("payment list as bare array, camelCase")
    func listArray() throws {
        let page = try #require(
            Self.answer(#"{"result":[{"id":"P1","merchantUniqueCode":"M"}],"succeeded":true}"#).paymentListPage)
        #expect(page.items.first?.merchantUniqueCode == "M")
    }

    @Test("marketplace product lists")
    func marketplace() throws {
        let approval = try #require(
            Self.answer(
                #"{"ErrorCode":1,"Result":false,"Body":{"Success":[{"ProductId":7}],"Fail":[{"ProductId":8,"Reason":"This product already approved"}]}}"#
            ).marketplaceApproval)
        #expect(approval.succeeded == ["7"])
        #expect(approval.failed == [.init(productId: "8", reason: "This product already approved")])
    }

    @Test("raw body kept verbatim")
    func raw() {
        let answer = Self.answer("  {\"ErrorCode\" : 0.0 }  ", status: 418)
        #expect(answer.rawBody == "  {\"ErrorCode\" : 0.0 }  ")
        #expect(answer.errorCodeText == "0.0")
        #expect(answer.httpStatus == 418)
    }
}
