import Foundation
import Logging
import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

/// Shared helpers: client configuration for the simulator's fake keys, payloads, a started
/// simulator with a manual clock and no background tick.
enum TestSupport {
    static let privateCredentials = PaywallCredentials(apiKey: "sim-private-key", apiClient: "sim-private-client")
    static let publicCredentials = PaywallCredentials(apiKey: "sim-public-key", apiClient: "sim-public-client")

    /// How long one loopback exchange with the simulator may take before the test client gives
    /// up: a bound only a stuck simulator reaches. The simulator answers at once unless a test
    /// asks it to be slow (and such tests pass their own, shorter timeout); 10 s was exceeded
    /// by a 503 answer while the machine ran the whole suite beside two busy processes.
    static let exchangeDeadline = Duration.seconds(60)

    static func clientConfiguration(
        baseURL: String = "http://127.0.0.1:1", approveVariant: MarketplaceApproveVariant = .payment,
        privateCredentials: PaywallCredentials = privateCredentials
    ) -> PaywallConfiguration {
        PaywallConfiguration(
            physicalBaseURL: baseURL, paymentBaseURL: baseURL, privateCredentials: privateCredentials,
            publicCredentials: publicCredentials, connectTimeout: .seconds(2), requestTimeout: exchangeDeadline,
            approveVariant: approveVariant)
    }

    static func builder(
        baseURL: String = "http://127.0.0.1:1", approveVariant: MarketplaceApproveVariant = .payment
    ) -> PaywallRequestBuilder {
        PaywallRequestBuilder(configuration: clientConfiguration(baseURL: baseURL, approveVariant: approveVariant))
    }

    static func guid(_ n: Int) -> String {
        let digits = String(n, radix: 16)
        return "0b8f7a52-6d44-4c43-9a4e-" + String(repeating: "0", count: 12 - digits.count) + digits
    }

    static func salePayload(code: String, amount: String = "22.10", tag: String = "T1") -> String {
        #"{"TerminalTagCode":"\#(tag)","MerchantUniqueCode":"\#(code)","Amount":\#(amount),"CurrencyId":1,"DisplayCode":"D1","Products":[{"Name":"Item","TaxGroupId":20,"UnitCodeId":4,"Amount":\#(amount),"Quantity":1}]}"#
    }

    /// The call the simulator receives for a request built by the client.
    static func call(_ request: PaywallRequest, route: SimulatorRoute, pathParameter: String? = nil) -> PaywallCall {
        PaywallCall(route: route, headers: request.headers, body: request.body ?? [], pathParameter: pathParameter)
    }

    /// Logs only errors (set `SIM_TEST_LOG=1` to see everything on stderr).
    static var quietLogger: Logger {
        var logger = Logger(label: "paywall-sim-test") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = ProcessInfoProbe.verbose ? .trace : .error
        return logger
    }

    /// Starts a simulator on an ephemeral port with a manual clock; always shuts it down.
    static func withSimulator<T>(
        clock: ManualWallClock = ManualWallClock(), seed: UInt64 = 1, faults: FaultSettings = .none,
        device: DeviceSettings = DeviceSettings(), callbackHashKey: String? = nil,
        _ body: (PaywallSimulator, ManualWallClock) async throws -> T
    ) async throws -> T {
        let simulator = try await PaywallSimulator.start(
            SimulatorConfiguration(
                seed: seed, device: device, faults: faults, clock: clock, tickIntervalMillis: 0,
                callbackHashKey: callbackHashKey),
            logger: quietLogger)
        do {
            let result = try await body(simulator, clock)
            await simulator.shutdown()
            return result
        } catch {
            await simulator.shutdown()
            throw error
        }
    }
}

enum ProcessInfoProbe {
    static let verbose = ProcessInfo.processInfo.environment["SIM_TEST_LOG"] == "1"
}
