import PaywallClient
import PaywallSimulator
import Testing

@Suite("Status numbers match the client's .simulator policy")
struct StatusNumberTests {
    @Test func sameNumbersAndNamesAsTheClient() {
        #expect(SimulatedPaymentStatus.allCases.map(\.rawValue) == SimulatorPaymentStatus.allCases.map(\.rawValue))
        for status in SimulatedPaymentStatus.allCases {
            #expect(SimulatorPaymentStatus(rawValue: status.rawValue)?.name == status.name)
        }
        #expect(SimulatedPaymentStatus.sentToDevice.rawValue == 2)
    }

    @Test func finalStatusesAreTerminalForTheClient() {
        for status in SimulatedPaymentStatus.allCases {
            #expect(PaymentStatusPolicy.simulator.meaning(of: status.rawValue).isTerminal == status.isFinal)
        }
        #expect(PaymentStatusPolicy.simulator.meaning(of: 2) == .notOnDevice)
        #expect(PaymentStatusPolicy.simulator.meaning(of: 3) == .onDevice)
    }
}
