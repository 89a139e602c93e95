import Foundation
import OutboxWorker
import Testing

/// `metrics_address`: off unless given, from a flag, the environment or the file like every
/// other setting; a bare port means loopback.
@Suite struct MetricsSettingTests {
    @Test func offUnlessGiven() throws {
        let settings = try load()
        #expect(settings.metricsAddress == nil)
        #expect(settings.summary.contains { $0.key == "metrics_address" && $0.value == "off" && $0.origin == .defaulted })
    }

    @Test func fromAFlagTheEnvironmentOrTheFile() throws {
        let flag = try load(flags: ["metrics_address": "9464"])
        #expect(flag.metricsAddress == MetricsAddress(host: "127.0.0.1", port: 9464))
        #expect(flag.summary.contains { $0.key == "metrics_address" && $0.value == "127.0.0.1:9464" && $0.origin == .flag("--metrics-address") })
        var environment = validEnvironment
        environment["OUTBOX_METRICS_ADDRESS"] = "0.0.0.0:9100"
        #expect(try load(environment: environment).metricsAddress?.description == "0.0.0.0:9100")
        #expect(try load(file: #"{"metrics_address": "[::1]:9464"}"#).metricsAddress?.description == "[::1]:9464")
        #expect(try load(flags: ["metrics_address": "off"], environment: environment).metricsAddress == nil)
    }

    @Test func aBadAddressNamesTheSetting() {
        #expect {
            try load(flags: ["metrics_address": "localhost"])
        } throws: { error in
            "\(error)".contains("metrics_address") && "\(error)".contains("--metrics-address")
        }
    }
}
