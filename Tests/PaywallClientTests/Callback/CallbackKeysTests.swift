import PaywallClient
import Testing

@Suite("Callback keys")
struct CallbackKeysTests {
    @Test func parsesLinesCommentsAndCommas() throws {
        let keys = try CallbackKeys.parse(
            """
            # Physical POS webhook keys: old and new during a rotation
            7 old-key

              7\tnew-key  \r
            8 other-type-key
            7 old-key
            """)
        #expect(keys.keyTypes == [7, 8])
        #expect(keys.keys(for: 7).map(\.revealedValue) == ["old-key", "new-key"])
        #expect(keys.keys(for: 8).map(\.revealedValue) == ["other-type-key"])
        #expect(keys.count == 3)
        let inline = try CallbackKeys.parse("7 a,7 b, 9 c")
        #expect(inline.keys(for: 7).map(\.revealedValue) == ["a", "b"])
        #expect(inline.keys(for: 9).map(\.revealedValue) == ["c"])
        #expect(try CallbackKeys.parse("# nothing\n\n").isEmpty)
    }

    @Test(arguments: [
        ("7", 1, "expected"),
        ("7 a b", 1, "more than two fields"),
        ("seven key", 1, "whole number"),
        ("# ok\n7 fine\n-1 key", 3, "whole number"),
        ("7 a,x", 2, "expected"),
    ])
    func malformedEntriesAreNamedByNumberWithoutTheKey(text: String, entry: Int, message: String) {
        do {
            _ = try CallbackKeys.parse(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.entry == entry)
            #expect(error.message.contains(message))
            #expect(!error.description.contains("fine"))
        }
    }

    @Test func neverShowsAKey() {
        let keys = CallbackKeys([(keyType: 7, key: "SECRET-1"), (keyType: 7, key: "SECRET-2")])
        for text in [keys.description, keys.debugDescription, "\(keys)", String(reflecting: keys), keys.summary] {
            #expect(!text.contains("SECRET"))
        }
        var dumped = ""
        dump(keys, to: &dumped)
        #expect(!dumped.contains("SECRET"))
        #expect(keys.summary == "HashKeyType 7: 2 keys")
    }

    @Test func mergingAddsAndKeepsOrder() {
        let a = CallbackKeys([(keyType: 7, key: "a")])
        let b = CallbackKeys([(keyType: 7, key: "b"), (keyType: 7, key: "a"), (keyType: 3, key: "c")])
        let merged = a.merging(b)
        #expect(merged.keys(for: 7).map(\.revealedValue) == ["a", "b"])
        #expect(merged.keyTypes == [3, 7])
    }
}
