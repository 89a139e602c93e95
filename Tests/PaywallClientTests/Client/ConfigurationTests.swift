import Testing

@testable import PaywallClient

@Suite("Configuration")
struct ConfigurationTests {
    @Test("the fixture configuration is usable")
    func usable() {
        #expect(Fixtures.configuration().problems.isEmpty)
    }

    @Test(
        "bad base URLs are reported",
        arguments: ["", "physical.paywall.test", "ftp://x.test", "https://", "https://x.test/?a=1"])
    func badURL(url: String) {
        var configuration = Fixtures.configuration()
        configuration.physicalBaseURL = url
        #expect(configuration.problems.count == 1)
        #expect(configuration.problems.first?.contains("physicalBaseURL") == true)
    }

    @Test("missing credentials and bad timeouts are reported without secrets")
    func credentialsAndTimeouts() {
        var configuration = Fixtures.configuration()
        configuration.publicCredentials = PaywallCredentials(apiKey: Fixtures.publicKey, apiClient: "")
        configuration.connectTimeout = .seconds(60)
        let problems = configuration.problems
        #expect(problems.count == 2)
        #expect(!problems.joined().contains(Fixtures.publicKey))
        #expect(configuration.publicCredentials.description == "PaywallCredentials(<missing>)")
    }
}
