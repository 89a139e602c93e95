import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

@Suite("Device model (pure, injected time)")
struct DeviceModelTests {
    static let t0: EpochMillis = 1_000_000
    static let code = "0b8f7a52-6d44-4c43-9a4e-2b8d1c3e9f10"

    static func order(
        _ channel: PaymentChannel = .sync, tag: String = "T1", code: String = code, amount: String = "22.10"
    ) -> SaleOrder {
        SaleOrder(channel: channel, terminalTagCode: tag, merchantUniqueCode: code, amount: amount)
    }

    static func model(take: Int64 = 8_000, processing: Int64 = 2_000, outcome: SaleOutcomeRule = .byAmount)
        -> DeviceModel
    {
        DeviceModel(
            settings: DeviceSettings(takeDelayMillis: take, processingMillis: processing, defaultOutcome: outcome))
    }

    @discardableResult
    static func sell(
        _ model: inout DeviceModel, _ order: SaleOrder = order(), id: String = "p1", at now: EpochMillis = t0
    ) -> CommandAnswer {
        let result = model.sale(order, paymentRequestId: id, activityId: "a-\(id)", terminalId: "t", now: now)
        guard case .success(let answer) = result else {
            Issue.record("sale refused: \(result)")
            return CommandAnswer(paymentRequestId: "", activityId: "", activityType: .unknown, status: .failed)
        }
        return answer
    }

    @Test func saleStartsSentToDeviceThenIsTakenThenSucceeds() {
        var model = Self.model()
        let answer = Self.sell(&model)
        #expect(answer.status == .sentToDevice)
        #expect(answer.activityType == .sale)
        model.advance(to: Self.t0 + 7_999)
        #expect(model.payment(id: "p1")?.status == .sentToDevice)
        model.advance(to: Self.t0 + 8_000)
        #expect(model.payment(id: "p1")?.status == .takenByDevice)
        #expect(model.payment(id: "p1")?.takenAt == Self.t0 + 8_000)
        model.advance(to: Self.t0 + 9_999)
        #expect(model.payment(id: "p1")?.status == .takenByDevice)
        model.advance(to: Self.t0 + 10_000)
        #expect(model.payment(id: "p1")?.status == .successful)
        #expect(model.payment(id: "p1")?.modifiedAt == Self.t0 + 10_000)
    }

    @Test func lateAdvanceStampsTransitionsWhenTheyWereDue() {
        var model = Self.model()
        Self.sell(&model)
        model.advance(to: Self.t0 + 60_000)
        let changes = model.takeStatusChanges()
        #expect(changes.map(\.to) == [.sentToDevice, .takenByDevice, .successful])
        #expect(changes.map(\.at) == [Self.t0, Self.t0 + 8_000, Self.t0 + 10_000])
        #expect(model.takeStatusChanges().isEmpty)
    }

    @Test(arguments: [
        ("22.10", SaleOutcomeRule.byAmount, PaymentStatus.successful),
        ("12.13", .byAmount, .failed),
        ("0.130", .byAmount, .failed),
        ("13", .byAmount, .successful),
        ("12.13", .alwaysSucceed, .successful),
        ("22.10", .alwaysFail, .failed),
    ])
    func outcomeRules(amount: String, rule: SaleOutcomeRule, expected: PaymentStatus) {
        var model = Self.model(outcome: rule)
        Self.sell(&model, Self.order(amount: amount))
        model.advance(to: Self.t0 + 10_000)
        #expect(model.payment(id: "p1")?.status == expected)
        #expect(model.payment(id: "p1")?.order.amount == amount)
    }

    @Test func perTerminalOutcomeOverridesTheDefault() {
        var model = Self.model()
        model.setTerminal("T1", TerminalSettings(outcome: .alwaysFail), now: Self.t0)
        Self.sell(&model)
        model.advance(to: Self.t0 + 10_000)
        #expect(model.payment(id: "p1")?.status == .failed)
        #expect(model.payment(id: "p1")?.message != nil)
    }

    @Test func offlineTerminalNeverTakesTheSaleUntilItComesBack() {
        var model = Self.model()
        model.setTerminal("T1", TerminalSettings(offline: true), now: Self.t0)
        Self.sell(&model)
        model.advance(to: Self.t0 + 3_600_000)
        #expect(model.payment(id: "p1")?.status == .sentToDevice)
        model.setTerminal("T1", TerminalSettings(offline: false), now: Self.t0 + 3_600_000)
        model.advance(to: Self.t0 + 3_600_000)
        #expect(model.payment(id: "p1")?.status == .takenByDevice)
        #expect(model.payment(id: "p1")?.takenAt == Self.t0 + 3_600_000)
    }

    @Test func terminalGoingOfflineAfterTheTakeTimeDoesNotUndoIt() {
        var model = Self.model()
        Self.sell(&model)
        model.setTerminal("T1", TerminalSettings(offline: true), now: Self.t0 + 9_000)
        #expect(model.payment(id: "p1")?.status == .takenByDevice)
    }

    @Test func duplicateMerchantUniqueCodeIsRefusedWithoutTheFirstId() {
        var model = Self.model()
        Self.sell(&model)
        let again = model.sale(
            Self.order(amount: "99.99"), paymentRequestId: "p2", activityId: "a2", terminalId: "t", now: Self.t0 + 1)
        #expect(again == .failure(.duplicateMerchantUniqueCode))
        // Same code in another letter case is the same GUID.
        let upper = model.sale(
            Self.order(code: Self.code.uppercased()), paymentRequestId: "p3", activityId: "a3", terminalId: "t",
            now: Self.t0 + 2)
        #expect(upper == .failure(.duplicateMerchantUniqueCode))
        #expect(model.payments.count == 1)
        #expect(!DeviceRefusal.duplicateMerchantUniqueCode.message.contains("p1"))
    }

    @Test func duplicateIsRefusedEvenAfterTheFirstPaymentEnded() {
        var model = Self.model()
        Self.sell(&model)
        model.advance(to: Self.t0 + 6_000)
        _ = model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 6_000)
        let again = model.sale(
            Self.order(), paymentRequestId: "p2", activityId: "a2", terminalId: "t", now: Self.t0 + 7_000)
        #expect(again == .failure(.duplicateMerchantUniqueCode))
    }

    // MARK: The 5 s rule and "once on the device"

    @Test(arguments: [Int64(0), 1, 2_500, 4_999])
    func saleRollbackIsRefusedInTheFirstFiveSeconds(after: Int64) {
        var model = Self.model()
        Self.sell(&model)
        let result = model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + after)
        #expect(result == .failure(.rollbackTooEarly(remainingMillis: 5_000 - after)))
        #expect(model.payment(id: "p1")?.status == .sentToDevice)
    }

    @Test(arguments: [Int64(5_000), 6_000, 7_999])
    func saleRollbackSucceedsAfterFiveSecondsWhileNotTaken(after: Int64) {
        var model = Self.model()
        Self.sell(&model)
        let result = model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + after)
        guard case .success(let answer) = result else {
            Issue.record("refused: \(result)")
            return
        }
        #expect(answer.status == .rolledBack)
        #expect(answer.activityId == "a-p1" && answer.activityType == .sale)
        model.advance(to: Self.t0 + 60_000)
        #expect(model.payment(id: "p1")?.status == .rolledBack)
    }

    @Test(arguments: [Int64(8_000), 9_000, 10_000, 600_000])
    func saleRollbackIsRefusedOnceTheDeviceTookIt(after: Int64) {
        var model = Self.model()
        Self.sell(&model)
        let result = model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + after)
        guard case .failure(.alreadyOnDevice(let status)) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(status == .takenByDevice || status.isFinal)
        #expect(
            DeviceRefusal.alreadyOnDevice(status).clientMessage == "Payment.Async.NotConvenientStatusForThisOperation")
    }

    @Test func takenWithinFiveSecondsIsStillTooEarlyFirst() {
        var model = Self.model(take: 1_000)
        Self.sell(&model)
        #expect(
            model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 2_000)
                == .failure(.rollbackTooEarly(remainingMillis: 3_000)))
        #expect(
            model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 2_999)
                == .failure(.rollbackTooEarly(remainingMillis: 2_001)))
        #expect(
            model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 5_000)
                == .failure(.alreadyOnDevice(.successful)))
    }

    @Test func offlineTerminalSaleCanAlwaysBeRolledBackAfterFiveSeconds() {
        var model = Self.model()
        model.setTerminal("T1", TerminalSettings(offline: true), now: Self.t0)
        Self.sell(&model)
        let result = model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 3_600_000)
        #expect((try? result.get())?.status == .rolledBack)
        #expect(
            model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 3_600_001)
                == .failure(.alreadyOnDevice(.rolledBack)))
    }

    @Test func asyncSalesHaveNoRollback() {
        var model = Self.model()
        Self.sell(&model, Self.order(.async))
        #expect(
            model.rollbackSale(paymentRequestId: "p1", now: Self.t0 + 6_000)
                == .failure(.notConvenient(.sentToDevice)))
    }

    @Test func rollbackOfAnUnknownPayment() {
        var model = Self.model()
        #expect(
            model.rollbackSale(paymentRequestId: "nope", now: Self.t0) == .failure(.paymentNotFound))
        #expect(model.cancel(paymentRequestId: "nope", activityId: "c", now: Self.t0) == .failure(.paymentNotFound))
    }

    // MARK: Cancel

    @Test func cancelIsADeviceCommandThatMoves2To11To4() {
        var model = Self.model()
        Self.sell(&model)
        model.advance(to: Self.t0 + 10_000)  // the sale: 4 Successful
        let first = model.cancel(paymentRequestId: "p1", activityId: "c1", now: Self.t0 + 20_000)
        #expect((try? first.get())?.status == .sentToDevice)
        #expect((try? first.get())?.activityType == .cancel)
        #expect(model.payment(id: "p1")?.latest.type == .cancel)
        model.advance(to: Self.t0 + 28_000)
        #expect(model.payment(id: "p1")?.cancel?.status == .takenByDevice)
        model.advance(to: Self.t0 + 30_000)
        #expect(model.payment(id: "p1")?.cancel?.status == .successful)
        // A cancel's 4 is "cancel done"; the sale's own 4 stays the sale's.
        #expect(model.payment(id: "p1")?.status == .successful)
        let second = model.cancel(paymentRequestId: "p1", activityId: "c2", now: Self.t0 + 31_000)
        #expect(second == .failure(.alreadyCancelled))
        #expect(DeviceRefusal.alreadyCancelled.clientMessage == "Payment.Async.AlreadyHasRefundOrCancel")
        let changes = model.takeStatusChanges().filter { $0.activity == .cancel }
        #expect(changes.map(\.to) == [.sentToDevice, .takenByDevice, .successful])
        #expect(
            model.payment(id: "p1")?.activities.filter { $0.type == .cancel }.map(\.status)
                == [.sentToDevice, .takenByDevice, .successful])
    }

    @Test(arguments: [SaleOutcomeRule.alwaysFail])
    func failedOrRolledBackPaymentsCannotBeCancelled(rule: SaleOutcomeRule) {
        var model = Self.model(outcome: rule)
        Self.sell(&model)
        model.advance(to: Self.t0 + 10_000)
        #expect(
            model.cancel(paymentRequestId: "p1", activityId: "c", now: Self.t0 + 10_000)
                == .failure(.notConvenient(.failed)))
    }

    @Test func aSaleCancelledBeforeCompletionEndsFailed() {
        var model = Self.model()
        Self.sell(&model)
        _ = model.cancel(paymentRequestId: "p1", activityId: "c", now: Self.t0 + 1_000)
        model.advance(to: Self.t0 + 60_000)
        #expect(model.payment(id: "p1")?.cancel?.status == .successful)
        #expect(model.payment(id: "p1")?.status == .failed)
    }

    @Test func cancelRollbackFollowsTheSameRules() {
        var model = Self.model()
        Self.sell(&model)
        model.advance(to: Self.t0 + 10_000)  // successful
        _ = model.cancel(paymentRequestId: "p1", activityId: "c", now: Self.t0 + 20_000)
        #expect(
            model.rollbackCancel(paymentRequestId: "p1", now: Self.t0 + 24_999)
                == .failure(.rollbackTooEarly(remainingMillis: 1)))
        let ok = model.rollbackCancel(paymentRequestId: "p1", now: Self.t0 + 25_000)
        #expect((try? ok.get())?.status == .rolledBack)
        #expect((try? ok.get())?.activityType == .cancel)
        #expect(model.payment(id: "p1")?.latest.type == .sale)
        #expect(model.rollbackCancel(paymentRequestId: "p1", now: Self.t0 + 40_000) == .failure(.noCancelToRollBack))
        // A second cancel, left until the device takes it, can no longer be rolled back.
        _ = model.cancel(paymentRequestId: "p1", activityId: "c2", now: Self.t0 + 50_000)
        #expect(
            model.rollbackCancel(paymentRequestId: "p1", now: Self.t0 + 58_000)
                == .failure(.alreadyOnDevice(.takenByDevice)))
        #expect(
            model.payment(id: "p1")?.activities.filter { $0.type == .cancel }.map(\.status)
                == [.sentToDevice, .rolledBack, .sentToDevice, .takenByDevice])
    }

    @Test func cancelRollbackResumesAPendingSale() {
        var model = Self.model()
        Self.sell(&model)
        _ = model.cancel(paymentRequestId: "p1", activityId: "c", now: Self.t0 + 1_000)
        // 5 s after the cancel, before the terminal takes it (1 000 + 8 000).
        let rollback = model.rollbackCancel(paymentRequestId: "p1", now: Self.t0 + 6_000)
        #expect((try? rollback.get())?.status == .rolledBack)
        #expect(model.payment(id: "p1")?.status == .sentToDevice)
        model.advance(to: Self.t0 + 8_000)
        #expect(model.payment(id: "p1")?.status == .takenByDevice)
        model.advance(to: Self.t0 + 10_000)
        #expect(model.payment(id: "p1")?.status == .successful)
    }

    @Test func lookupIsCaseInsensitive() {
        var model = Self.model()
        Self.sell(&model, id: "ABCDEF")
        #expect(model.payment(id: "abcdef") != nil)
        #expect(model.payment(merchantUniqueCode: Self.code.uppercased()) != nil)
    }
}
