import PaywallClient
import PaywallSimulator
import Testing

@Suite("The simulator speaks Paywall's status table (S1)")
struct StatusNumberTests {
    // docs/fiziksel-pos/sistem-verileri/odeme-durumu.md: the simulator reports the client's own
    // PaymentStatus, so there is one numbering only.
    @Test func saleTimelineUsesS1Numbers() {
        var model = DeviceModel(settings: DeviceSettings(takeDelayMillis: 1_000, processingMillis: 1_000))
        _ = model.sale(
            SaleOrder(channel: .sync, terminalTagCode: "T", merchantUniqueCode: "m", amount: "1.00"),
            paymentRequestId: "p", activityId: "a", terminalId: "t", now: 0)
        model.advance(to: 2_000)
        #expect(model.takeStatusChanges().map(\.to.rawValue) == [2, 11, 4])
    }

    @Test func refusalsCarryDocumentedStringsAndAGenericCode() {
        let refusals: [DeviceRefusal] = [
            .duplicateMerchantUniqueCode, .paymentNotFound, .alreadyCancelled, .notConvenient(.failed),
            .rollbackTooEarly(remainingMillis: 1), .alreadyOnDevice(.takenByDevice), .noCancelToRollBack,
        ]
        for refusal in refusals {
            #expect(PhysicalError(exactly: refusal.clientMessage) != nil, "\(refusal)")
            #expect(refusal.errorCode == 1)
        }
    }
}
