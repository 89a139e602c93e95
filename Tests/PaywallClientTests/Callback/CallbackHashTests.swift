import PaywallClient
import Testing

@Suite("Callback hash (S6, SHA-256 from swift-crypto)")
struct CallbackHashTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func knownVectors(input: String, expected: String) {
        #expect(CallbackHash.hex(input) == expected)
    }

    // docs/hash-olusturma/formatlar.md, format PhysicalPos: key###paymentRequestId###merchantUniqueCode###amount
    @Test func callbackHashLayout() {
        let hash = CallbackHash.compute(key: "k", paymentRequestId: "p", merchantUniqueCode: "m", amount: "22.10")
        #expect(hash == CallbackHash.hex("k###p###m###22.10"))
        #expect(CallbackHash.keyType == 7)
    }
}
