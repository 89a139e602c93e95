import PaywallClient
import PaywallSimulator
import Testing

@Suite("Status numbers match the client's .simulator policy")
struct StatusNumberTests {
    // The simulator reports the client's own `SimulatorPaymentStatus` (one type), so the numbers
    // cannot drift; what remains to check is the one pair Paywall documents.
    @Test func documentedNumberAndName() {
        #expect(SimulatedPaymentStatus.sentToDevice.rawValue == 2)
        #expect(SimulatedPaymentStatus.sentToDevice.name == "SentToDevice")
        #expect(SimulatedPaymentStatus.allCases.map(\.rawValue) == Array(1...7))
    }

    @Test func finalStatusesAreTerminalForTheClient() {
        for status in SimulatedPaymentStatus.allCases {
            #expect(PaymentStatusPolicy.simulator.meaning(of: status.rawValue).isTerminal == status.isFinal)
        }
        #expect(PaymentStatusPolicy.simulator.meaning(of: 2) == .notOnDevice)
        #expect(PaymentStatusPolicy.simulator.meaning(of: 3) == .onDevice)
    }
}
