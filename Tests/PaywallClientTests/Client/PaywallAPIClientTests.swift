import Logging
import OutboxModel
import Testing

@testable import PaywallClient

@Suite("PaywallAPIClient")
struct PaywallAPIClientTests {
    struct FixedClock: WallClock {
        func now() -> EpochMillis { 1_700_000_000_000 }
    }

    static func client(_ transport: InMemoryPaywallTransport) -> PaywallAPIClient {
        PaywallAPIClient(
            configuration: Fixtures.configuration(), transport: transport, logger: Logger(label: "test"),
            clock: FixedClock())
    }

    @Test("a follow-up is sent with the inserted PaymentRequestId and its ids are read")
    func followUp() async throws {
        let transport = InMemoryPaywallTransport(
            status: 200,
            body:
                #"{"result":{"paymentRequestId":"\#(Fixtures.paymentRequestId)","paymentRequestActivityId":"A2","paymentRequestActivityTypeId":2,"paymentStatus":4},"errorCode":0,"succeeded":true,"failed":false}"#
        )
        let outcome = await Self.client(transport).send(
            kind: .syncCancel, payload: "{}", paymentRequestId: Fixtures.paymentRequestId)
        guard case .succeeded(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(answer.ids.paymentRequestActivityId == "A2")
        #expect(answer.ids.paymentStatusId == 4)
        #expect(transport.requests.count == 1)
        #expect(transport.requests.first?.bodyText == #"{"PaymentRequestId":"\#(Fixtures.paymentRequestId)"}"#)
    }

    @Test("an invalid payload is never sent")
    func invalidNotSent() async {
        let transport = InMemoryPaywallTransport(status: 200, body: "{}")
        let outcome = await Self.client(transport).send(kind: .asyncSale, payload: #"{"Amount":1}"#)
        guard case .invalid(let error) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(error.field == "MerchantUniqueCode")
        #expect(outcome.recordName == "invalid")
        #expect(transport.requests.isEmpty)
    }

    @Test("inquiry and list return readable payments")
    func reads() async throws {
        let transport = InMemoryPaywallTransport { request in
            if request.method == .get {
                return PaywallHTTPResponse(
                    status: 200,
                    text: #"{"Result":{"PaymentRequestId":"P","PaymentStatusId":5,"Amount":9.90},"Succeeded":true}"#)
            }
            return PaywallHTTPResponse(
                status: 200,
                text: #"{"Result":{"Items":[{"Id":"P","MerchantUniqueCode":"M","Amount":9.90}]},"Succeeded":true}"#)
        }
        let client = Self.client(transport)
        let inquiry = await client.paymentInquiry(paymentRequestId: Fixtures.paymentRequestId)
        #expect(inquiry.answer?.paymentInfo?.amount == "9.90")
        // 5 is "failed" in Paywall's table (S1), whatever a simulator once said.
        #expect(PaymentStatus.meaning(of: try #require(inquiry.answer?.paymentInfo?.statusId)) == .failed)
        let list = await client.paymentList(pageIndex: 0, pageSize: 100, startDate: "2026-11-21", endDate: "2026-11-21")
        #expect(list.answer?.paymentListPage?.payment(merchantUniqueCode: "m")?.paymentRequestId == "P")
        #expect(
            transport.requests.map(\.path) == [
                "/api/payment/inquiry/\(Fixtures.paymentRequestId)", "/api/payment/list",
            ])
    }

    @Test("a lost answer on a sale is outcome unknown; on an inquiry it is transient")
    func lostAnswer() async {
        let transport = InMemoryPaywallTransport(failure: PaywallTransportError(code: .readTimeout))
        let client = Self.client(transport)
        let sale = await client.send(kind: .asyncSale, payload: Fixtures.asyncSale)
        #expect(sale.recordName == "unknown")
        #expect(sale.needsReconcile)
        let inquiry = await client.paymentInquiry(paymentRequestId: Fixtures.paymentRequestId)
        #expect(inquiry.recordName == "transient")
    }

    @Test("HTTP-date Retry-After uses the injected clock")
    func clock() async {
        let transport = InMemoryPaywallTransport(
            status: 429, body: "", headers: PaywallHeaders([("Retry-After", "Tue, 14 Nov 2023 22:13:30 GMT")]))
        let outcome = await Self.client(transport).send(kind: .marketplaceApprove, payload: #"{"PaymentId":1}"#)
        guard case .transient(let retryAfter, _) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(retryAfter == .seconds(10))
    }
}
