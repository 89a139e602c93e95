import AsyncHTTPClient
import Foundation
import NIOCore
import PaywallClient
import Testing

/// The `worker` binary with its callback listener: start-up refusals, a real POST, SIGTERM.
@Suite(.serialized) struct CallbackBinaryTests {
    static let key = "E2E-CALLBACK-KEY-9f1e"

    @Test func aListenerWithoutAKeyStopsStartUpWith78() async throws {
        let worker = try WorkerProcess(["--callback-address", "127.0.0.1:0"], environment: [
            "OUTBOX_DB": "/tmp/never-created.sqlite", "PAYWALL_PHYSICAL_BASE_URL": "https://physical.example.com",
            "PAYWALL_PAYMENT_BASE_URL": "https://payment.example.com", "PAYWALL_PRIVATE_API_KEY": "k1",
            "PAYWALL_PRIVATE_API_CLIENT": "k2", "PAYWALL_PUBLIC_API_KEY": "k3", "PAYWALL_PUBLIC_API_CLIENT": "k4",
        ])
        #expect(await worker.waitForExit() == 78)
        #expect(worker.stderr.contains("callback.keys"))
        #expect(worker.stderr.contains("OUTBOX_CALLBACK_KEYS"))
        let unreadable = try WorkerProcess(
            ["--simulator", "--callback-address", "127.0.0.1:0", "--callback-keys-file", "/nonexistent/keys"])
        #expect(await unreadable.waitForExit() == 78)
        #expect(unreadable.stderr.contains("callback.keys_file"))
    }

    @Test func theListenerServesVerifiedCallbacksAndStopsOnSigterm() async throws {
        let dir = try temporaryDirectory()
        let worker = try WorkerProcess(
            [
                "--simulator", "--db", dir.appendingPathComponent("outbox.sqlite").path, "--callback-address",
                "127.0.0.1:0", "--callback-path", "/hooks/paywall",
            ],
            environment: ["OUTBOX_CALLBACK_KEYS": "7 \(Self.key)"])
        #expect(await worker.waitForStderr("\"Callback listener running\""), "stderr: \(worker.stderr.suffix(2000))")
        let line = try #require(worker.stderr.split(separator: "\n").first { $0.contains("Callback listener running") })
        let port = try #require(line.firstMatch(of: /outbox\.callback\.port=(\d+)/).map { String($0.1) })
        #expect(line.contains("HashKeyType 7: 2 keys"))  // the environment's and the simulator's
        let id = "6b1809c7-0d3e-4b6e-9f59-3f0c1f0e2a11"
        let code = "0b8f7a52-6d44-4c43-9a4e-000000000001"
        let hash = CallbackHash.compute(key: Self.key, paymentRequestId: id, merchantUniqueCode: code, amount: "22.10")
        let body =
            #"{"PaymentRequestId":"\#(id)","PaymentRequestActivityId":"a1","PaymentTypeId":1,"PaymentStatusId":4,"MerchantUniqueCode":"\#(code)","Amount":22.10,"Hash":"\#(hash)","HashFormat":"PhysicalPos","HashKeyType":7}"#
        let url = "http://127.0.0.1:\(port)/hooks/paywall"
        #expect(try await Self.post(url, body) == 200)
        #expect(try await Self.post(url, body.replacingOccurrences(of: hash, with: String(repeating: "0", count: 64))) == 401)
        #expect(try await Self.post("http://127.0.0.1:\(port)/", body) == 404)
        #expect(await worker.waitForStderr("\"Callback refused\""))
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0, "stderr: \(worker.stderr.suffix(2000))")
        let stderr = worker.stderr
        #expect(stderr.contains("\"Callback listener stopped\""))
        #expect(stderr.contains("outbox.callback.refusal=hash_mismatch"))
        #expect(!stderr.contains(Self.key))
        #expect(!stderr.contains(code))
    }

    static func post(_ url: String, _ body: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }
}
