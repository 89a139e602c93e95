import PaywallSimulator
import Testing

@Suite("Fault injection (seeded)")
struct FaultInjectorTests {
    static let mixed = FaultSettings(
        serverErrorRate: 0.1, serviceUnavailableRate: 0.1, tooManyRequestsRate: 0.1, slowRate: 0.1,
        dropAfterProcessingRate: 0.1)

    static func sequence(seed: UInt64, count: Int = 500, settings: FaultSettings = mixed) -> [Fault] {
        var injector = FaultInjector(seed: seed, settings: settings)
        return (0..<count).map { _ in injector.decide() }
    }

    @Test func sameSeedReplaysTheSameFaults() {
        #expect(Self.sequence(seed: 42) == Self.sequence(seed: 42))
        #expect(Self.sequence(seed: 42) != Self.sequence(seed: 43))
    }

    @Test func ratesAreRoughlyHonoured() {
        let faults = Self.sequence(seed: 7, count: 10_000)
        for fault in [Fault.serverError, .serviceUnavailable, .tooManyRequests, .slow, .dropAfterProcessing] {
            let share = Double(faults.filter { $0 == fault }.count) / 10_000
            #expect(abs(share - 0.1) < 0.02, "\(fault) share \(share)")
        }
    }

    @Test func zeroRatesNeverFaultAndFullRateAlwaysDoes() {
        #expect(Self.sequence(seed: 1, settings: .none).allSatisfy { $0 == .none })
        #expect(Self.sequence(seed: 1, settings: FaultSettings(serverErrorRate: 1)).allSatisfy { $0 == .serverError })
    }

    @Test func scriptedFaultsComeFirstAndConsumeNoDraw() {
        var scripted = FaultInjector(
            seed: 9, settings: Self.mixed, script: [.dropAfterProcessing, .none, .serverError])
        let head = (0..<3).map { _ in scripted.decide() }
        #expect(head == [.dropAfterProcessing, .none, .serverError])
        let rest = (0..<100).map { _ in scripted.decide() }
        #expect(rest == Self.sequence(seed: 9, count: 100))
    }

    @Test func invalidSettingsAreExplained() {
        #expect(FaultSettings(serverErrorRate: 1.5).problem != nil)
        #expect(FaultSettings(serverErrorRate: 0.6, slowRate: 0.6).problem != nil)
        #expect(FaultSettings(slowRate: -0.1).problem != nil)
        #expect(Self.mixed.problem == nil)
    }

    @Test func splitMixIsTheReferenceSequence() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        var guids = SplitMix64(seed: 5)
        let guid = guids.nextGUID()
        #expect(guid.count == 36)
        #expect(Array(guid)[14] == "4")
    }
}
