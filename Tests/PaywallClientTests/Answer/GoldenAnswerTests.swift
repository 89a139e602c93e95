import OutboxModel
import Testing

@testable import PaywallClient

/// Paywall's documented answer shapes (field names, casing, nesting, types), written by us after
/// the examples in Paywall's docs (`paywallone/cursor-config`, folder `docs/`, commit 880ed6e);
/// each test names the doc file. Ids are made up; what matters is the shape.
@Suite("Golden answers from Paywall's docs")
struct GoldenAnswerTests {
    static func answer(_ text: String, status: Int = 200) -> PaywallAnswer {
        PaywallAnswer(response: PaywallHTTPResponse(status: status, headers: PaywallHeaders(), text: text))
    }

    static func classify(_ operation: PaywallOperation, _ text: String) -> PaywallOutcome {
        ClassifierTests.classify(operation, status: 200, body: text)
    }

    // docs/fiziksel-pos/6.-odeme/sync/1.-satis.md (PascalCase; a fresh sale's answer shows status 4)
    static let syncSale = """
        {"Result":{"PaymentRequestId":"1eb856a8-1d41-49ab-8994-ecee2880d62c",\
        "PaymentRequestActivityId":"2015c508-4029-4f6b-b7e2-4bf34a213c41","PaymentRequestActivityTypeId":1,\
        "PaymentStatus":4},"Failed":false,"Message":null,"ClientMessage":null,"Succeeded":true}
        """

    @Test("sync sale (docs/fiziksel-pos/6.-odeme/sync/1.-satis.md): ids read, status informative only")
    func sale() {
        let outcome = Self.classify(.command(.syncSale), Self.syncSale)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(answer.ids.paymentRequestId == "1eb856a8-1d41-49ab-8994-ecee2880d62c")
        #expect(answer.ids.paymentRequestActivityId == "2015c508-4029-4f6b-b7e2-4bf34a213c41")
        #expect(answer.ids.paymentRequestActivityTypeId == PaymentType.sale.rawValue)
        // 4 in a fresh sale's answer: the command's result is Succeeded, not "paid".
        #expect(answer.ids.paymentStatusId == 4)
    }

    // docs/fiziksel-pos/6.-odeme/async/2.-iptal.md (camelCase; a cancel's 4 = cancel done)
    static let asyncCancel = """
        {"result":{"paymentRequestId":"72ec8714-d116-4306-8881-38a43c485da9",\
        "paymentRequestActivityId":"3a7deace-d437-4d3f-8ef8-1cba82f18e8f","paymentRequestActivityTypeId":2,\
        "paymentStatus":4},"failed":false,"message":null,"clientMessage":null,"succeeded":true}
        """

    @Test("async cancel (docs/fiziksel-pos/6.-odeme/async/2.-iptal.md): camelCase envelope, activity type 2")
    func cancel() {
        let outcome = Self.classify(.command(.asyncCancel), Self.asyncCancel)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(answer.ids.paymentRequestId == "72ec8714-d116-4306-8881-38a43c485da9")
        #expect(answer.ids.paymentRequestActivityTypeId == PaymentType.cancel.rawValue)
        #expect(answer.ids.paymentStatusId == PaymentStatus.successful.rawValue)
    }

    // docs/fiziksel-pos/6.-odeme/sync/2.-satis-geri-cek.md (PascalCase, status 12)
    static let saleRollback = """
        {"Result":{"PaymentRequestId":"fb9c4719-945d-45b9-9f9c-fd79d8e4af85",\
        "PaymentRequestActivityId":"3653663e-6237-42b3-8255-3951959c3fe1","PaymentRequestActivityTypeId":1,\
        "PaymentStatus":12},"Failed":false,"Message":null,"ClientMessage":null,"Succeeded":true}
        """

    @Test("sale rollback (docs/fiziksel-pos/6.-odeme/sync/2.-satis-geri-cek.md): succeeded, status 12 RolledBack")
    func saleRollback() {
        let outcome = Self.classify(.command(.syncSaleRollback), Self.saleRollback)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(PaymentStatus(rawValue: answer.ids.paymentStatusId ?? 0) == .rolledBack)
    }

    // docs/fiziksel-pos/6.-odeme/sync/4.-iptal-geri-cek.md (camelCase; its example repeats the cancel's)
    @Test("cancel rollback (docs/fiziksel-pos/6.-odeme/sync/4.-iptal-geri-cek.md): camelCase envelope succeeds")
    func cancelRollback() {
        #expect(ClassifierTests.shape(Self.classify(.command(.syncCancelRollback), Self.asyncCancel)) == .succeeded)
    }

    // docs/fiziksel-pos/6.-odeme/1.-odemeler.md (Items + nested Pagination, 0-based)
    static let list = """
        {"Result":{"Items":[{"Id":"8850e51c-b09a-43fd-855f-83c4037cce45",\
        "TerminalId":"38e895c3-1a9a-4b73-8816-8557d1d031d6","ConnectionId":"70b2190b-e47b-455f-b05e-8c132a05534c",\
        "ConnectionName":"Varsayılan 1","ProviderId":20,"ProviderName":"Vepara","BrandId":10,"BrandName":"Pavo",\
        "RegionId":1,"RegionName":"Turkey","MerchantUniqueCode":"432e795d-1a69-4461-97c8-ebaab658ff55",\
        "DisplayCode":"İndirimli Hizmet","Amount":1.44,"PaymentChannelId":1,"PaymentChannelName":"Async",\
        "CurrencyId":1,"CurrencyName":"TRY","IP":"::1","PaymentRequestActivityId":"0f7dc0c2-8b3f-466e-b646-22b23e1fa052",\
        "PaymentTypeId":1,"PaymentTypeName":"Sale","PaymentStatusId":2,"PaymentStatusName":"SentToDevice",\
        "Date":"2024-09-02T19:33:06.199765"}],"Pagination":{"CurrentPage":0,"PageCount":1,"PageSize":10,\
        "TotalCount":1}},"Failed":false,"Message":null,"ClientMessage":null,"Succeeded":true}
        """

    @Test("payment list (docs/fiziksel-pos/6.-odeme/1.-odemeler.md): Items with Id, nested Pagination")
    func paymentList() throws {
        let outcome = Self.classify(.paymentList, Self.list)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        let page = try #require(answer.paymentListPage)
        #expect(page.pagination == Pagination(currentPage: 0, pageCount: 1, pageSize: 10, totalCount: 1))
        let item = try #require(page.payment(merchantUniqueCode: "432E795D-1A69-4461-97C8-EBAAB658FF55"))
        #expect(item.paymentRequestId == "8850e51c-b09a-43fd-855f-83c4037cce45")
        #expect(item.amount == "1.44")
        #expect(item.statusId == PaymentStatus.sentToDevice.rawValue)
        #expect(item.paymentTypeId == PaymentType.sale.rawValue)
    }

    @Test("payment list, flat paging (the older shape) is still read")
    func flatPaging() throws {
        let page = try #require(
            PaymentListPage(
                try JSONValue.parse(#"{"Items":[],"CurrentPage":2,"PageCount":3,"PageSize":5,"TotalCount":11}"#)))
        #expect(page.pagination == Pagination(currentPage: 2, pageCount: 3, pageSize: 5, totalCount: 11))
    }

    // docs/fiziksel-pos/6.-odeme/4.-sorgulama.md
    static let inquiry = """
        {"Result":{"PaymentRequestId":"1eb856a8-1d41-49ab-8994-ecee2880d62c",\
        "PaymentRequestActivityId":"78e71139-2227-48ee-9bf9-1e4389a399db","TerminalId":"38e895c3-1a9a-4b73-8816-8557d1d031d6",\
        "MerchantUniqueCode":"432e795d-1a69-4461-97c8-ebaab658ff47","DisplayCode":"İndirimli Hizmet",\
        "CallbackAddress":"https://webhook.site/445d7d94-962b-4350-a936-1a066c6367b3","Amount":1.44,\
        "PaymentChannelId":1,"PaymentChannel":"Async","CurrencyId":1,"Currency":"TRY","IP":"::1","PaymentTypeId":1,\
        "PaymentType":"Sale","PaymentStatusId":2,"PaymentStatus":"SentToDevice","CreatedDate":"2024-09-02T13:52:34.504179",\
        "ModifiedDate":null},"Failed":false,"Message":null,"ClientMessage":null,"Succeeded":true}
        """

    @Test("inquiry (docs/fiziksel-pos/6.-odeme/4.-sorgulama.md): status id and name, activity type")
    func inquiryShape() throws {
        let info = try #require(Self.answer(Self.inquiry).paymentInfo)
        #expect(info.paymentRequestId == "1eb856a8-1d41-49ab-8994-ecee2880d62c")
        #expect(info.statusId == 2 && info.statusName == "SentToDevice")
        #expect(info.statusName == PaymentStatus.sentToDevice.name)
        #expect(info.paymentTypeId == 1)
        #expect(info.amount == "1.44")
        #expect(info.createdDate == "2024-09-02T13:52:34.504179")
        #expect(PaymentStatus.meaning(of: info.statusId) == .notTaken)
    }

    // docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md
    static let activities = """
        {"Result":{"Items":[{"Id":"65d79a67-335a-4a4f-b159-01f26315af95","PaymentTypeId":1,"PaymentTypeName":"Sale",\
        "PaymentStatusId":1,"PaymentStatusName":"Generated","Date":"2024-09-02T19:33:06.247743"},\
        {"Id":"0f7dc0c2-8b3f-466e-b646-22b23e1fa052","PaymentTypeId":1,"PaymentTypeName":"Sale","PaymentStatusId":2,\
        "PaymentStatusName":"SentToDevice","Date":"2024-09-02T19:33:06.700298"}],"Pagination":{"CurrentPage":0,\
        "PageCount":1,"PageSize":10,"TotalCount":2}},"Failed":false,"Message":null,"ClientMessage":null,"Succeeded":true}
        """

    @Test("activities (docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md): rows per status, latest of a type")
    func activityShape() throws {
        let outcome = Self.classify(.paymentActivities, Self.activities)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        let page = try #require(answer.activityPage)
        #expect(page.items.count == 2)
        #expect(page.latest(.sale)?.statusId == 2)
        #expect(page.latest(.sale)?.id == "0f7dc0c2-8b3f-466e-b646-22b23e1fa052")
        #expect(page.latest(.cancel) == nil)
        #expect(page.pagination.totalCount == 2)
    }

    // docs/fiziksel-pos/5.-eslesme/async/2.-talep-onayla.md
    @Test("pair confirm (docs/fiziksel-pos/5.-eslesme/async/2.-talep-onayla.md): TerminalPairId")
    func pairConfirm() {
        let text = """
            {"Result":{"TerminalPairId":"616e4bc7-8661-4040-86b8-e660b936b85f"},"Failed":false,"Message":null,\
            "ClientMessage":null,"Succeeded":true}
            """
        let outcome = Self.classify(.command(.asyncPairConfirm), text)
        #expect(outcome.answer?.ids.terminalPairId == "616e4bc7-8661-4040-86b8-e660b936b85f")
        #expect(ClassifierTests.shape(outcome) == .succeeded)
    }

    @Test("the status table is S1 (docs/fiziksel-pos/sistem-verileri/odeme-durumu.md)")
    func statusTable() {
        #expect(PaymentStatus.allCases.map(\.rawValue) == Array(1...12))
        let notTaken: [PaymentStatus] = [
            .created, .sentToDevice, .couldNotSendToDevice, .notificationNotSentFirebase,
            .notificationNotSentSocket, .notificationSentFirebase, .notificationSentSocket,
        ]
        #expect(notTaken.map(\.rawValue) == [1, 2, 3, 7, 8, 9, 10])
        #expect(notTaken.allSatisfy { $0.meaning == .notTaken })
        #expect(PaymentStatus.takenByDevice.rawValue == 11 && PaymentStatus.takenByDevice.meaning == .onDevice)
        #expect(PaymentStatus.successful.rawValue == 4 && PaymentStatus.successful.isFinal)
        #expect(PaymentStatus.failed.rawValue == 5 && PaymentStatus.failed.isFinal)
        #expect(PaymentStatus.unknown.rawValue == 6 && !PaymentStatus.unknown.isFinal)
        #expect(PaymentStatus.rolledBack.rawValue == 12 && PaymentStatus.rolledBack.isFinal)
        #expect(PaymentStatus.meaning(of: nil) == .unknown)
        #expect(PaymentStatus.meaning(of: 13) == .unknown)
        #expect(PaymentStatus.describe(11) == "11 TakenByDevice")
        #expect(PaymentType.sale.rawValue == 1 && PaymentType.cancel.rawValue == 2)
    }
}
