import OutboxModel
import Testing

@testable import PaywallClient

/// The exact bytes each catalog kind puts on the wire.
@Suite("Request golden bytes")
struct RequestGoldenTests {
    struct Golden: Sendable, CustomTestStringConvertible {
        var kind: CommandKind
        var method: String
        var url: String
        var credentials: CredentialKind
        var body: String
        var testDescription: String { kind.rawValue }
    }

    static let physical = "https://physical.paywall.test"
    static let payment = "https://payment.paywall.test"
    static let prid = Fixtures.paymentRequestId

    static let goldens: [Golden] = [
        Golden(
            kind: .asyncSale, method: "POST", url: physical + "/api/payment/async/sale", credentials: .private,
            body: Fixtures.asyncSale),
        Golden(
            kind: .syncSale, method: "POST", url: physical + "/api/payment/sync/sale", credentials: .private,
            body: Fixtures.syncSale),
        Golden(
            kind: .asyncCancel, method: "POST", url: physical + "/api/payment/async/cancel", credentials: .private,
            body: #"{"PaymentRequestId":"\#(prid)"}"#),
        Golden(
            kind: .syncCancel, method: "POST", url: physical + "/api/payment/sync/cancel", credentials: .private,
            body: #"{"PaymentRequestId":"\#(prid)","SendNotificationDeviceDisconnected":false}"#),
        Golden(
            kind: .syncSaleRollback, method: "POST", url: physical + "/api/payment/sync/sale/rollback",
            credentials: .private, body: #"{"PaymentRequestId":"\#(prid)"}"#),
        Golden(
            kind: .syncCancelRollback, method: "POST", url: physical + "/api/payment/sync/cancel/rollback",
            credentials: .private, body: #"{"PaymentRequestId":"\#(prid)"}"#),
        Golden(
            kind: .asyncPairRequest, method: "POST", url: physical + "/api/pair/async/request", credentials: .private,
            body: #"{"TerminalTagCode":"till-7"}"#),
        Golden(
            kind: .asyncPairConfirm, method: "PUT", url: physical + "/api/pair/async/confirm", credentials: .private,
            body: #"{"PairAsyncRequestId":"\#(Fixtures.pairAsyncRequestId)"}"#),
        Golden(
            kind: .syncPairRequest, method: "POST", url: physical + "/api/pair/sync/request", credentials: .private,
            body: #"{"TerminalId":"\#(Fixtures.terminalId)"}"#),
        Golden(
            kind: .marketplaceApprove, method: "POST", url: payment + "/api/paywall/marketplace/approve/payment",
            credentials: .public, body: #"{"PaymentId":987654}"#),
    ]

    @Test("every command kind has a golden")
    func everyKindCovered() {
        #expect(Set(Self.goldens.map(\.kind)) == Set(CommandKind.allCases))
    }

    @Test("exact request", arguments: goldens)
    func exactRequest(golden: Golden) throws {
        let request = try Fixtures.builder.build(
            kind: golden.kind, payload: Fixtures.payload(golden.kind),
            paymentRequestId: Fixtures.paymentRequestId(for: golden.kind))
        #expect(request.method.rawValue == golden.method)
        #expect(request.url == golden.url)
        #expect(request.bodyText == golden.body)
        let (key, client) =
            golden.credentials == .private
            ? (Fixtures.privateKey, Fixtures.privateClient) : (Fixtures.publicKey, Fixtures.publicClient)
        let expectedHeaders =
            golden.credentials == .private
            ? ["Accept", "Content-Type", "apikeyprivate", "apiclientprivate"]
            : ["Accept", "Content-Type", "apikeypublic", "apiclientpublic"]
        #expect(request.headers.names == expectedHeaders)
        #expect(request.headers["Accept"] == "application/json")
        #expect(request.headers["content-type"] == "application/json; charset=utf-8")
        #expect(request.headers[golden.credentials.keyHeader] == key)
        #expect(request.headers[golden.credentials.clientHeader] == client)
        // The other pair is never sent.
        let other: CredentialKind = golden.credentials == .private ? .public : .private
        #expect(request.headers[other.keyHeader] == nil)
        #expect(request.headers[other.clientHeader] == nil)
    }

    @Test("sale body is the producer's bytes: 22.10, key order, non-ASCII; unknown fields when let through")
    func saleFaithful() throws {
        let request = try Fixtures.builder.build(kind: .asyncSale, payload: Fixtures.asyncSale)
        let text = try #require(request.bodyText)
        #expect(text.contains(#""Amount":22.10,"#))
        #expect(text.contains(#""Amount":12.00,"#))
        #expect(text.contains("Ayşe"))
        let withUnknown = String(Fixtures.asyncSale.dropLast()) + #","FutureField":{"x":1e2}}"#
        let passed = try Fixtures.passThroughBuilder.build(kind: .asyncSale, payload: withUnknown)
        #expect(try #require(passed.bodyText).hasSuffix(#""SkipPrintCustomer":false,"FutureField":{"x":1e2}}"#))
    }

    @Test("whitespace in the payload is normalised, nothing else changes")
    func whitespace() throws {
        let request = try Fixtures.passThroughBuilder.build(
            kind: .marketplaceApprove, payload: "{ \"PaymentId\" : 5 ,\n \"Extra\": [ 1.50 ] }")
        #expect(request.bodyText == #"{"PaymentId":5,"Extra":[1.50]}"#)
    }

    @Test(
        "approve variants",
        arguments: [
            (MarketplaceApproveVariant.payment, "/api/paywall/marketplace/approve/payment"),
            (.paywallCalculator, "/api/paywall/marketplace/approve/pw/payment"),
            (.platformCalculator, "/api/paywall/marketplace/approve/self/payment"),
        ])
    func approveVariants(variant: MarketplaceApproveVariant, path: String) throws {
        let builder = PaywallRequestBuilder(configuration: Fixtures.configuration(approveVariant: variant))
        // Payout and SameReflectionDateWithMember are documented for pw and self only (§4); the
        // older route knows PaymentId alone (Payout there is an unknown field, refused).
        let request = try builder.build(
            kind: .marketplaceApprove,
            payload: variant == .payment
                ? #"{"PaymentId":1}"#
                : #"{"PaymentId":1,"Payout":{"DescriptionApply":true,"Description":"x"},"SameReflectionDateWithMember":false}"#
        )
        #expect(request.method == .post)
        #expect(request.url == "https://payment.paywall.test" + path)
        #expect(request.headers["apikeypublic"] == Fixtures.publicKey)
    }

    @Test("payment inquiry: GET, id in the path, no body")
    func inquiry() throws {
        let request = try Fixtures.builder.paymentInquiry(paymentRequestId: Fixtures.paymentRequestId)
        #expect(request.method == .get)
        #expect(request.url == "https://physical.paywall.test/api/payment/inquiry/\(Fixtures.paymentRequestId)")
        #expect(request.body == nil)
        #expect(request.headers.names == ["Accept", "apikeyprivate", "apiclientprivate"])
    }

    @Test("payment list: POST with paging and date range")
    func list() throws {
        let request = try Fixtures.builder.paymentList(
            pageIndex: 0, pageSize: 50, startDate: "2026-11-20", endDate: "2026-11-21")
        #expect(request.method == .post)
        #expect(request.url == "https://physical.paywall.test/api/payment/list")
        #expect(
            request.bodyText == #"{"pageIndex":0,"pageSize":50,"startDate":"2026-11-20","endDate":"2026-11-21"}"#)
        #expect(request.headers["apikeyprivate"] == Fixtures.privateKey)
    }

    @Test("catalog: one entry per operation, with its traits")
    func catalogTraits() {
        let catalog = PaywallCatalog()
        #expect(catalog.endpoints.count == CommandKind.allCases.count + 3)
        for kind in CommandKind.allCases {
            let endpoint = catalog.endpoint(for: kind)
            #expect(endpoint.insertsPaymentRequestId == (kind.role == .followUp), "\(kind)")
            #expect(endpoint.body != nil)
            #expect(endpoint.api == (kind == .marketplaceApprove ? .payment : .physical))
            let moves = [
                .asyncSale, .syncSale, .asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback,
                .marketplaceApprove,
            ].contains(kind)
            #expect((endpoint.sideEffect == .movesMoney) == moves, "\(kind)")
        }
        #expect(catalog.endpoint(for: .asyncSale).alreadyDone == [.duplicateMerchantUniqueCode])
        #expect(catalog.endpoint(for: .syncCancel).alreadyDone == [.alreadyCancelled])
        #expect(catalog.endpoint(for: .marketplaceApprove).alreadyDone == [.alreadyApproved])
        #expect(catalog.endpoint(for: .paymentInquiry).sideEffect == .readOnly)
        #expect(catalog.endpoint(for: .paymentActivities).sideEffect == .readOnly)
    }

    // docs/fiziksel-pos/6.-odeme/2.-odeme-hareketler.md: pageIndex, pageSize, PaymentRequestId.
    @Test("payment activities request")
    func activities() throws {
        let request = try Fixtures.builder.paymentActivities(
            paymentRequestId: Fixtures.paymentRequestId, pageIndex: 0, pageSize: 10)
        #expect(request.method == .post)
        #expect(request.url == "https://physical.paywall.test/api/payment/activities")
        #expect(
            request.bodyText
                == #"{"pageIndex":0,"pageSize":10,"PaymentRequestId":"\#(Fixtures.paymentRequestId)"}"#)
    }
}
