import AsyncHTTPClient
import Foundation
import NIOCore
import OutboxModel
import PaywallClient
import PaywallSimulator
import Testing

@Suite("Admin API over HTTP", .serialized)
struct AdminAPITests {
    static func admin(_ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method == .get ? .GET : .POST
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))  // TestSupport.exchangeDeadline
        let buffer = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: buffer))
    }

    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func inspectionEndpoints() async throws {
        try await TestSupport.withSimulator { sim, _ in
            let base = await sim.baseURL
            let client = ContractTests.Client(baseURL: base)
            defer { Task { try? await client.transport.shutdown() } }
            _ = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(1), amount: "22.10"))
            _ = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(1), amount: "22.10"))

            let (status, requests) = try await Self.admin(.get, base + "/_sim/requests")
            #expect(status == 200)
            let list = try Self.json(requests).arrayValue ?? []
            #expect(list.map { $0["sequence"] } == [.number("1"), .number("2")])
            #expect(list.first?["route"] == .string("sync_sale"))
            #expect(!requests.contains("sim-private-key"))
            #expect(requests.contains("<redacted:ok>"))

            let payments = try Self.json(try await Self.admin(.get, base + "/_sim/payments").1)
            #expect(payments.arrayValue?.count == 1)
            #expect(payments[0]?["order"]?["amount"] == .string("22.10"))
            #expect(payments[0]?["status"] == .number("2"))
            #expect(payments[0]?["statusName"] == .string("SentToDevice"))

            let sales = try Self.json(try await Self.admin(.get, base + "/_sim/sales").1)
            #expect(sales[TestSupport.guid(1)]?["received"] == .number("2"))
            #expect(sales[TestSupport.guid(1)]?["accepted"] == .number("1"))

            let index = try await Self.admin(.get, base + "/_sim")
            #expect(index.1.contains("/_sim/faults"))
        }
    }

    @Test func faultsTerminalsDeviceAndResetControls() async throws {
        try await TestSupport.withSimulator { sim, clock in
            let base = await sim.baseURL
            let client = ContractTests.Client(baseURL: base)
            defer { Task { try? await client.transport.shutdown() } }

            let (status, body) = try await Self.admin(
                .post, base + "/_sim/faults", #"{"tooManyRequestsRate":1,"retryAfterSeconds":4}"#)
            #expect(status == 200, "\(body)")
            #expect(await sim.faults().tooManyRequestsRate == 1)
            #expect(
                try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(1))).recordName
                    == "transient")
            let bad = try await Self.admin(.post, base + "/_sim/faults", #"{"serverErrorRate":2}"#)
            #expect(bad.0 == 400)
            _ = try await Self.admin(
                .post, base + "/_sim/faults", #"{"tooManyRequestsRate":0,"script":["drop_after_processing"]}"#)
            #expect(
                try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(2))).recordName
                    == "unknown")

            let terminal = try await Self.admin(.post, base + "/_sim/terminals/T1/offline")
            #expect(terminal.0 == 200)
            _ = try await client.send(.syncSale, TestSupport.salePayload(code: TestSupport.guid(3)))
            clock.advance(by: 60_000)
            #expect(await sim.payment(merchantUniqueCode: TestSupport.guid(3))?.status == .sentToDevice)
            _ = try await Self.admin(.post, base + "/_sim/terminals/T1", #"{"offline":false,"outcome":"always_fail"}"#)
            clock.advance(by: 2_000)
            #expect(await sim.payment(merchantUniqueCode: TestSupport.guid(3))?.status == .failed)

            let device = try await Self.admin(.post, base + "/_sim/device", #"{"takeDelayMillis":100}"#)
            #expect(device.0 == 200)

            let reset = try await Self.admin(.post, base + "/_sim/reset")
            #expect(reset.0 == 200)
            #expect(await sim.payments().isEmpty)
            #expect(await sim.receivedRequests().isEmpty)
            #expect(await sim.saleRequestCounts().isEmpty)
        }
    }

    @Test func callbackDeliveryControls() async throws {
        try await TestSupport.withSimulator(callbackHashKey: "k1") { sim, _ in
            let base = await sim.baseURL
            let (status, body) = try await Self.admin(
                .post, base + "/_sim/callbacks/settings",
                #"{"duplicates":true,"order":"reversed","holdMillis":500,"dropRate":0.25,"hashKeyType":9,"hashKey":"k2"}"#)
            #expect(status == 200)
            let view = try Self.json(body)
            #expect(view["settings"]?["duplicates"] == .bool(true))
            #expect(view["settings"]?["order"] == .string("reversed"))
            #expect(view["settings"]?["holdMillis"] == .number("500"))
            #expect(view["settings"]?["hashKeyType"] == .number("9"))
            #expect(view["signing"] == .bool(true))
            #expect(!body.contains("k2"))
            let settings = await sim.callbackDelivery()
            #expect(settings == CallbackDeliverySettings(dropRate: 0.25, duplicates: true, order: .reversed, holdMillis: 500, hashKeyType: 9))
            let refused = try await Self.admin(.post, base + "/_sim/callbacks/settings", #"{"dropRate":2}"#)
            #expect(refused.0 == 400)
            #expect(refused.1.contains("dropRate"))
            let released = try await Self.admin(.post, base + "/_sim/callbacks/release")
            #expect(try Self.json(released.1)["held"] == .number("0"))
            #expect(try await Self.admin(.get, base + "/_sim").1.contains("/_sim/callbacks/settings"))
        }
    }

    @Test func timedOfflineOverHTTPClosesThePortThenReopensIt() async throws {
        try await TestSupport.withSimulator { sim, _ in
            let base = await sim.baseURL
            let (status, _) = try await Self.admin(.post, base + "/_sim/offline", #"{"seconds":1}"#)
            #expect(status == 200)
            // The port closes right after the answer; wait (bounded) until a TCP connect is refused.
            // (A raw connect: AsyncHTTPClient would retry a refused connection until its timeout.)
            let port = await sim.port
            var refused = false
            for _ in 0..<250 where !refused {
                refused = !TCPProbe.accepts(port: port)
                if !refused { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(refused)
            var back = false
            for _ in 0..<300 where !back {
                try await Task.sleep(for: .milliseconds(20))
                back = TCPProbe.accepts(port: port)
            }
            #expect(back)
            #expect(try await Self.admin(.get, base + "/_sim").0 == 200)
            #expect(await sim.isOffline == false)
        }
    }

    @Test func offlineWithoutADurationIsRefused() async throws {
        try await TestSupport.withSimulator { sim, _ in
            let (status, body) = try await Self.admin(.post, await sim.baseURL + "/_sim/offline", #"{"offline":true}"#)
            #expect(status == 400)
            #expect(body.contains("seconds"))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A raw TCP connect to 127.0.0.1, to see "connection refused" without client-side retries.
enum TCPProbe {
    static func accepts(port: Int) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
