import OutboxWorker
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Int64(500)), ("1.5s", 1_500), ("2m", 120_000), ("1h", 3_600_000), ("7d", 604_800_000),
        ("0s", 0), (" 120s ", 120_000), ("120S", 120_000),
        // Zero needs no unit: `--follow-interval 0` is how the docs switch following off.
        ("0", 0), (" 0 ", 0),
    ])
    func parses(text: String, millis: Int64) {
        #expect(DurationText.parseMillis(text) == millis)
    }

    @Test(arguments: ["", "60", "00", "0.0", "s", "1.s", ".5s", "-1s", "1x", "1 s", "1e3s", "1.2.3s", "ten seconds"])
    func refuses(text: String) {
        #expect(DurationText.parseMillis(text) == nil)
    }

    @Test func formatsShortestExactUnit() {
        #expect(DurationText.format(millis: 500) == "500ms")
        #expect(DurationText.format(millis: 1_500) == "1500ms")
        #expect(DurationText.format(millis: 90_000) == "90s")
        #expect(DurationText.format(millis: 120_000) == "2m")
        #expect(DurationText.format(millis: 604_800_000) == "7d")
    }
}
