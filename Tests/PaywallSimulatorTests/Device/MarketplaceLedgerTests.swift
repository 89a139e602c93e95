import PaywallSimulator
import Testing

@Suite("Marketplace approvals")
struct MarketplaceLedgerTests {
    @Test func secondApproveFailsEveryProductAsAlreadyApproved() {
        var ledger = MarketplaceLedger()
        #expect(ledger.approve(paymentId: 7) == .done(success: [71, 72], fail: []))
        #expect(
            ledger.approve(paymentId: 7)
                == .done(
                    success: [],
                    fail: [
                        .init(productId: 71, reason: "This product already approved"),
                        .init(productId: 72, reason: "This product already approved"),
                    ]))
        #expect(ledger.report(paymentId: 7)?.approved == [71, 72])
        #expect(ledger.report(paymentId: 8)?.notApproved == [81, 82])
        #expect(ledger.approveCounts[7] == 2)
    }

    @Test func unknownPayments() {
        var ledger = MarketplaceLedger()
        #expect(ledger.approve(paymentId: 900_000_000) == .paymentNotFound)
        #expect(ledger.report(paymentId: 900_000_001) == nil)
    }
}
