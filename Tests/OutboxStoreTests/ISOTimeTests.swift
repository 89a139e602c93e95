import Foundation
import OutboxModel
import Testing

@Suite("ISO times")
struct ISOTimeTests {
    @Test(
        "epoch milliseconds as UTC ISO-8601 text with milliseconds",
        arguments: [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_764_613_309_456, "2025-12-01T18:21:49.456Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            (253_402_300_800_007, "10000-01-01T00:00:00.007Z"),
            (-62_167_219_200_001, "-1-12-31T23:59:59.999Z"),
        ] as [(Int64, String)])
    func known(millis: Int64, text: String) {
        #expect(ISOTime.text(epochMillis: millis) == text)
    }

    /// Every day from 1900 through 2200 and a spread of times of day: the same text as
    /// Foundation's formatter, which the log lines used before.
    @Test("the same text as Date.ISO8601FormatStyle")
    func sameAsFoundation() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let first: Int64 = -2_208_988_800_000  // 1900-01-01
        let last: Int64 = 7_258_118_400_000  // 2200-01-01
        var millis = first
        var step: Int64 = 0
        while millis < last {
            // A quarter of a millisecond in: the same millisecond whether Foundation truncates
            // its Double seconds (6.3 does; the Double nearest a whole millisecond is often just
            // below it, so old log lines could be 1 ms early) or rounds them (later releases).
            let date = Date(timeIntervalSince1970: (TimeInterval(millis) + 0.25) / 1000)
            #expect(ISOTime.text(epochMillis: millis) == date.formatted(style), "\(millis)")
            step += 1
            // A day and a changing part of one (hours, minutes, seconds, milliseconds).
            millis = first + step * 86_400_000 + (step * 3_723_517) % 86_400_000
        }
    }

    @Test("now is the wall clock's time")
    func now() throws {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let text = ISOTime.now()
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let parsed = try #require(try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
        let millis = Int64((parsed.timeIntervalSince1970 * 1000).rounded())
        #expect(before <= millis && millis <= after)
    }
}
