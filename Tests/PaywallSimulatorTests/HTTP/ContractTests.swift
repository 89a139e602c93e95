import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

/// Every command kind round-trips over real HTTP on loopback, built by the client's request
/// builder, sent by its AsyncHTTPClient transport and read by its classifier.
@Suite("Contract over loopback HTTP", .serialized)
struct ContractTests {
    struct Client {
        let builder: PaywallRequestBuilder
        let transport: HTTPClientTransport
        let classifier = AnswerClassifier()
        let configuration: PaywallConfiguration

        init(baseURL: String, approveVariant: MarketplaceApproveVariant = .payment) {
            configuration = TestSupport.clientConfiguration(baseURL: baseURL, approveVariant: approveVariant)
            builder = PaywallRequestBuilder(configuration: configuration)
            transport = HTTPClientTransport(configuration: configuration)
        }

        func send(_ request: PaywallRequest) async -> PaywallOutcome {
            let endpoint = configuration.catalog.endpoint(for: request.operation)
            do {
                let response = try await transport.send(request, timeout: TestSupport.exchangeDeadline)
                return classifier.classify(.response(response), endpoint: endpoint, now: 0)
            } catch {
                return classifier.classify(.failure(error), endpoint: endpoint, now: 0)
            }
        }

        func send(_ kind: CommandKind, _ payload: String, paymentRequestId: String? = nil) async throws
            -> PaywallOutcome
        {
            await send(try builder.build(kind: kind, payload: payload, paymentRequestId: paymentRequestId))
        }
    }

    static func withClient<T>(
        approveVariant: MarketplaceApproveVariant = .payment, device: DeviceSettings = DeviceSettings(),
        _ body: (PaywallSimulator, ManualWallClock, Client) async throws -> T
    ) async throws -> T {
        try await TestSupport.withSimulator(device: device) { sim, clock in
            let client = Client(baseURL: await sim.baseURL, approveVariant: approveVariant)
            do {
                let result = try await body(sim, clock, client)
                try? await client.transport.shutdown()
                return result
            } catch {
                try? await client.transport.shutdown()
                throw error
            }
        }
    }

    @Test func startBindsAnEphemeralLoopbackPortAndShutsDownCleanly() async throws {
        let sim = try await PaywallSimulator.start(
            SimulatorConfiguration(port: 0, tickIntervalMillis: 0), logger: TestSupport.quietLogger)
        let port = await sim.port
        #expect(port > 0)
        #expect(await sim.baseURL == "http://127.0.0.1:\(port)")
        await sim.shutdown()
        let client = Client(baseURL: "http://127.0.0.1:\(port)")
        let outcome = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(1)))
        #expect(outcome.recordName == "transient", "\(outcome)")
        try await client.transport.shutdown()
    }

    @Test func syncSaleInquiryCancelAndAlreadyCancelled() async throws {
        try await Self.withClient { sim, clock, client in
            let code = TestSupport.guid(1)
            let sale = try await client.send(.syncSale, TestSupport.salePayload(code: code, amount: "22.10"))
            guard case .succeeded(let answer) = sale else { throw Failure("sale: \(sale)") }
            let id = try #require(answer.ids.paymentRequestId)
            #expect(answer.ids.paymentStatusId == 2)

            clock.advance(by: 10_000)
            let inquiry = await client.send(try client.builder.paymentInquiry(paymentRequestId: id))
            guard case .succeeded(let info) = inquiry else { throw Failure("inquiry: \(inquiry)") }
            #expect(info.paymentInfo?.statusId == PaymentStatus.successful.rawValue)
            #expect(info.paymentInfo?.statusName == "Successful")
            #expect(info.paymentInfo?.amount == "22.10")
            #expect(info.paymentInfo?.merchantUniqueCode == code)

            let cancel = try await client.send(.syncCancel, "{}", paymentRequestId: id)
            guard case .succeeded(let cancelled) = cancel else { throw Failure("cancel: \(cancel)") }
            #expect(cancelled.ids.paymentRequestActivityTypeId == PaymentType.cancel.rawValue)
            #expect(cancelled.ids.paymentStatusId == PaymentStatus.sentToDevice.rawValue)
            let again = try await client.send(.syncCancel, "{}", paymentRequestId: id)
            guard case .alreadyDone(.alreadyCancelled, let answer) = again else {
                throw Failure("second cancel: \(again)")
            }
            #expect(answer.clientMessage == "Payment.Async.AlreadyHasRefundOrCancel")
            #expect(await sim.payments().first?.cancel?.status == .sentToDevice)
            // The inquiry reports the cancel activity (type 2), not the sale.
            let after = await client.send(try client.builder.paymentInquiry(paymentRequestId: id))
            #expect(after.answer?.paymentInfo?.paymentTypeId == PaymentType.cancel.rawValue)
        }
    }

    @Test func asyncSaleAndAsyncCancel() async throws {
        try await Self.withClient { sim, _, client in
            let sale = try await client.send(.asyncSale, TestSupport.salePayload(code: TestSupport.guid(2)))
            guard case .succeeded(let answer) = sale, let id = answer.ids.paymentRequestId else {
                throw Failure("\(sale)")
            }
            let cancel = try await client.send(.asyncCancel, "{}", paymentRequestId: id)
            guard case .succeeded = cancel else { throw Failure("\(cancel)") }
            #expect(await sim.payments().first?.order.channel == .async)
        }
    }

    @Test func duplicateSaleIsAlreadyDoneAndNeedsReconcile() async throws {
        try await Self.withClient { sim, _, client in
            let code = TestSupport.guid(3)
            _ = try await client.send(.syncSale, TestSupport.salePayload(code: code))
            let again = try await client.send(.syncSale, TestSupport.salePayload(code: code))
            guard case .alreadyDone(.duplicateMerchantUniqueCode, let answer) = again else { throw Failure("\(again)") }
            #expect(answer.ids.paymentRequestId == nil)
            #expect(again.needsReconcile)
            #expect(
                await sim.saleRequestCount(merchantUniqueCode: code)
                    == SaleRequestCount(received: 2, processed: 2, accepted: 1))
        }
    }

    @Test func saleRollbackTooEarlyThenDoneThenRefusedOnDevice() async throws {
        try await Self.withClient { _, clock, client in
            let sale = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(4)))
            guard case .succeeded(let answer) = sale, let id = answer.ids.paymentRequestId else {
                throw Failure("\(sale)")
            }
            let early = try await client.send(.syncSaleRollback, "{}", paymentRequestId: id)
            guard case .rejected(let tooEarly) = early else { throw Failure("early rollback: \(early)") }
            #expect(tooEarly.physicalError == .notConvenientStatusForThisOperation)
            clock.advance(by: 6_000)
            let ok = try await client.send(.syncSaleRollback, "{}", paymentRequestId: id)
            guard case .succeeded(let rolled) = ok else { throw Failure("rollback: \(ok)") }
            #expect(rolled.ids.paymentStatusId == PaymentStatus.rolledBack.rawValue)
            let again = try await client.send(.syncSaleRollback, "{}", paymentRequestId: id)
            guard case .rejected = again else { throw Failure("again: \(again)") }

            let other = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(5)))
            guard case .succeeded(let second) = other, let otherId = second.ids.paymentRequestId else {
                throw Failure("\(other)")
            }
            clock.advance(by: 9_000)
            let late = try await client.send(.syncSaleRollback, "{}", paymentRequestId: otherId)
            guard case .rejected(let refused) = late else { throw Failure("late: \(late)") }
            #expect(refused.clientMessage == "Payment.Async.NotConvenientStatusForThisOperation")
            #expect(refused.errorCode == 1)
        }
    }

    @Test func cancelRollback() async throws {
        try await Self.withClient { sim, clock, client in
            let sale = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(6)))
            guard case .succeeded(let answer) = sale, let id = answer.ids.paymentRequestId else {
                throw Failure("\(sale)")
            }
            clock.advance(by: 10_000)
            _ = try await client.send(.syncCancel, "{}", paymentRequestId: id)
            clock.advance(by: 5_000)
            let rollback = try await client.send(.syncCancelRollback, "{}", paymentRequestId: id)
            guard case .succeeded(let restored) = rollback else { throw Failure("\(rollback)") }
            #expect(restored.ids.paymentStatusId == PaymentStatus.rolledBack.rawValue)
            #expect(restored.ids.paymentRequestActivityTypeId == PaymentType.cancel.rawValue)
            #expect(await sim.payments().first?.status == .successful)
            #expect(await sim.payments().first?.cancel?.status == .rolledBack)
        }
    }

    @Test func pairing() async throws {
        try await Self.withClient { _, _, client in
            let request = try await client.send(.asyncPairRequest, #"{"TerminalTagCode":"T9"}"#)
            guard case .succeeded(let answer) = request, let pairId = answer.ids.pairAsyncRequestId else {
                throw Failure("\(request)")
            }
            #expect(answer.ids.pairCode?.count == 6)
            let confirm = try await client.send(.asyncPairConfirm, #"{"PairAsyncRequestId":"\#(pairId)"}"#)
            guard case .succeeded(let confirmed) = confirm else { throw Failure("\(confirm)") }
            #expect(confirmed.ids.terminalPairId.map(GUID.isValid) == true)
            let sync = try await client.send(.syncPairRequest, #"{"TerminalId":"\#(TestSupport.guid(77))"}"#)
            guard case .succeeded(let syncAnswer) = sync else { throw Failure("\(sync)") }
            #expect(syncAnswer.ids.pairRequestId != nil)
        }
    }

    @Test(arguments: MarketplaceApproveVariant.allCases)
    func marketplaceApproveTwice(variant: MarketplaceApproveVariant) async throws {
        try await Self.withClient(approveVariant: variant) { sim, _, client in
            let first = try await client.send(.marketplaceApprove, #"{"PaymentId":42}"#)
            guard case .succeeded(let answer) = first else { throw Failure("\(first)") }
            #expect(answer.marketplaceApproval?.succeeded == ["421", "422"])
            let second = try await client.send(.marketplaceApprove, #"{"PaymentId":42}"#)
            guard case .alreadyDone(.alreadyApproved, let again) = second else { throw Failure("\(second)") }
            #expect(again.errorCode == 1)
            #expect(await sim.approveCounts()[42] == 2)
        }
    }

    @Test func paymentListFindsASaleByMerchantUniqueCode() async throws {
        try await Self.withClient { _, clock, client in
            let code = TestSupport.guid(8)
            _ = try await client.send(.syncSale, TestSupport.salePayload(code: code, amount: "7.50"))
            let day = String(SimulatorDateProbe.day(clock.now()))
            let list = await client.send(
                try client.builder.paymentList(pageIndex: 0, pageSize: 50, startDate: day, endDate: day))
            guard case .succeeded(let answer) = list else { throw Failure("\(list)") }
            let item = answer.paymentListPage?.items.first { $0.merchantUniqueCode == code }
            #expect(item?.amount == "7.50")
            #expect(item?.statusId == 2)
        }
    }

    @Test func wrongCredentialsAreUnavailable() async throws {
        try await TestSupport.withSimulator { sim, _ in
            let configuration = TestSupport.clientConfiguration(
                baseURL: await sim.baseURL, privateCredentials: PaywallCredentials(apiKey: "x", apiClient: "y"))
            let transport = HTTPClientTransport(configuration: configuration)
            let request = try PaywallRequestBuilder(configuration: configuration)
                .build(kind: .syncSale, payload: TestSupport.salePayload(code: TestSupport.guid(1)))
            let response = try await transport.send(request, timeout: TestSupport.exchangeDeadline)
            try? await transport.shutdown()
            #expect(response.status == 401)
            let outcome = AnswerClassifier().classify(
                .response(response), endpoint: configuration.catalog.endpoint(for: .syncSale), now: 0)
            #expect(outcome.recordName == "unavailable")
            #expect(await sim.payments().isEmpty)
            let logged = await sim.receivedRequests()
            #expect(logged.first?.headers.contains(["apikeyprivate", "<redacted:wrong>"]) == true)
            #expect(!(logged.first?.headers.flatMap { $0 }.contains("x") ?? true))
        }
    }
}

/// A failure with a message (for `guard case` checks).
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `yyyy-MM-dd` of a UTC instant, for payment list ranges.
enum SimulatorDateProbe {
    static func day(_ millis: EpochMillis) -> String {
        let days = millis / 86_400_000
        // Civil-from-days (Howard Hinnant).
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ w: Int) -> String {
            String(repeating: "0", count: max(0, w - String(v).count)) + String(v)
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
