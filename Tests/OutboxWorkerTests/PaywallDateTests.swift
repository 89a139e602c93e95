import Testing

@testable import OutboxWorker

@Suite("Paywall's list dates")
struct PaywallDateTests {
    @Test(
        "yyyy-MM-dd in UTC, the day an instant falls on, midnight included",
        arguments: [
            (1_764_547_200_000, "2025-12-01"),  // 2025-12-01T00:00:00.000Z
            (1_764_547_199_999, "2025-11-30"),
            (951_782_400_000, "2000-02-29"),
            (0, "1970-01-01"),
        ] as [(Int64, String)])
    func date(millis: Int64, text: String) {
        #expect(paywallDate(millis) == text)
    }
}
