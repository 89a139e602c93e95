import AsyncHTTPClient
import Foundation
import OutboxModel
import OutboxWorker
import PaywallClient
import Testing

@Suite("Callback listener over HTTP")
struct CallbackListenerTests {
    typealias T = CallbackTesting

    @Test func receivedVerifiedAndRefusedCallbacksAreCountedInTheMetrics() async throws {
        let metrics = WorkerMetrics(version: "test")
        let statuses: [Int] = try await T.withListener(sink: MemoryCallbackSink(), metrics: metrics) { _, url in
            let good = try await T.post(url, T.body())
            let forged = try await T.post(url, T.body(key: "forged"))
            let garbage = try await T.post(url, "not json")
            return [good.status, forged.status, garbage.status]
        }
        #expect(statuses == [200, 401, 400])
        let text = metrics.registry.emitToString()
        #expect(text.contains("outbox_callbacks_received_total 3"))
        #expect(text.contains("outbox_callbacks_verified_total 1"))
        #expect(text.contains("outbox_callbacks_refused_total 2"))
    }

    @Test func aVerifiedCallbackReachesTheSinkOncePerDelivery() async throws {
        let sink = MemoryCallbackSink()
        let body = T.body()
        try await T.withListener(sink: sink) { listener, url in
            let first = try await T.post(url, body)
            let second = try await T.post(url, body)
            #expect(first.status == 200)
            #expect(first.text == "ok\n")
            #expect(second.status == 200)
            let deliveries = await sink.deliveries
            #expect(deliveries.count == 2)
            #expect(await sink.recorded.count == 1)
            let callback = try #require(deliveries.first)
            #expect(callback.paymentRequestId == "6b1809c7-0d3e-4b6e-9f59-3f0c1f0e2a11")
            #expect(callback.paymentRequestActivityId == "c3d4e5f6-0000-4000-8000-000000000002")
            #expect(callback.paymentStatusId == 4)
            #expect(callback.paymentTypeId == 1)
            #expect(callback.amount == "22.10")
            #expect(callback.hashKeyType == 7)
            #expect(callback.terminalId == "a1b2c3d4-0000-4000-8000-000000000001")
            #expect(callback.receivedAt == T.receivedAt)
            #expect(callback.body == body)
            let counters = listener.counters
            #expect(counters.received == 2)
            #expect(counters.verified == 2)
            #expect(counters.recorded == 1)
            #expect(counters.duplicate == 1)
            #expect(counters.refusedTotal == 0)
        }
    }

    /// (what, body, HTTP status, refusal reason)
    static let refused: [(String, String, Int, CallbackRefusal.Code)] = [
        ("a forged hash", T.body(hash: String(repeating: "5a", count: 32)), 401, .hashMismatch),
        ("signed with a wrong key", T.body(key: "attacker-key"), 401, .hashMismatch),
        ("the MerchantUniqueCode changed after signing", T.body().replacingOccurrences(
            of: #""MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000001""#,
            with: #""MerchantUniqueCode":"0b8f7a52-6d44-4c43-9a4e-000000000009""#), 401, .hashMismatch),
        ("a key type with no key", T.body(keyType: 3), 401, .unknownKeyType),
        ("not JSON", "PaymentRequestId=1&Hash=2", 400, .notJSON),
        ("an empty body", "", 400, .notJSON),
        ("a JSON array", "[]", 400, .malformedBody),
        ("no Hash", T.body().replacingOccurrences(of: #""Hash":"#, with: #""Hush":"#), 400, .missingField),
        ("a Hash that is not hex", T.body(hash: String(repeating: "z", count: 64)), 400, .invalidField),
    ]

    @Test func refusedBodiesAreAnsweredCountedAndNeverReachTheSink() async throws {
        let sink = MemoryCallbackSink()
        try await T.withListener(sink: sink) { listener, url in
            for (what, body, status, code) in Self.refused {
                let answer = try await T.post(url, body)
                #expect(answer.status == status, "\(what)")
                #expect(answer.text == "refused: \(code.rawValue)\n", "\(what)")
            }
            #expect(await sink.deliveries.isEmpty)
            let counters = listener.counters
            #expect(counters.received == Self.refused.count)
            #expect(counters.verified == 0)
            #expect(counters.refused(.hashMismatch) == 3)
            #expect(counters.refused(.unknownKeyType) == 1)
            #expect(counters.refused(.notJSON) == 2)
            #expect(counters.refused(.malformedBody) == 1)
            #expect(counters.refused(.missingField) == 1)
            #expect(counters.refused(.invalidField) == 1)
            #expect(counters.refusedTotal == Self.refused.count)
        }
    }

    @Test func nothingButPostOnThePathIsServed() async throws {
        let sink = MemoryCallbackSink()
        try await T.withListener(sink: sink) { listener, url in
            let base = String(url.dropLast(T.path.count))
            let cases: [(String, String, Int)] = [
                (url, "GET", 405), (url, "PUT", 405), (url, "DELETE", 405),
                (base + "/", "GET", 404), (base + "/", "POST", 404), (base + "/paywall", "POST", 404),
                (url + "/", "POST", 404), (base + "/PAYWALL/CALLBACK", "POST", 404), (base + "/_sim/payments", "GET", 404),
                (base + "/metrics", "GET", 404),
            ]
            for (target, method, status) in cases {
                let answer = try await T.post(target, T.body(), method: method)
                #expect(answer.status == status, "\(method) \(target)")
                if status == 405 { #expect(answer.header("Allow") == "POST") }
            }
            // A query string does not change the path.
            #expect(try await T.post(url + "?source=paywall", T.body()).status == 200)
            #expect(await sink.deliveries.count == 1)
            #expect(listener.counters.notServed == cases.count)
            #expect(listener.counters.received == 1)
        }
    }

    @Test func aSinkThatThrowsGives503SoTheSenderMayComeBack() async throws {
        let sink = MemoryCallbackSink()
        await sink.setFailure(BusySink.Busy())
        try await T.withListener(sink: sink) { listener, url in
            let busy = try await T.post(url, T.body())
            #expect(busy.status == 503)
            #expect(busy.header("Retry-After") == "5")
            #expect(await sink.recorded.isEmpty)
            await sink.setFailure(nil)
            let again = try await T.post(url, T.body())
            #expect(again.status == 200)
            #expect(await sink.recorded.count == 1)
            #expect(listener.counters.sinkFailed == 1)
            #expect(listener.counters.recorded == 1)
        }
        try await T.withListener(sink: BusySink()) { _, url in
            let answer = try await T.post(url, T.body())
            #expect(answer.status == 503)
        }
    }

    @Test func unknownPaymentsAreAnswered200AndCounted() async throws {
        let sink = MemoryCallbackSink(knownPayments: ["6B1809C7-0D3E-4B6E-9F59-3F0C1F0E2A11"])
        try await T.withListener(sink: sink) { listener, url in
            let known = try await T.post(url, T.body())
            let other = try await T.post(url, T.body(paymentRequestId: "99999999-0d3e-4b6e-9f59-3f0c1f0e2a11"))
            #expect(known.status == 200)
            #expect(other.status == 200)
            #expect(listener.counters.recorded == 1)
            #expect(listener.counters.unknownPayment == 1)
            #expect(await sink.recorded.count == 1)
        }
    }

    @Test func keyRotationAcceptsBothKeysUntilTheOldOneIsRemoved() async throws {
        let sink = MemoryCallbackSink()
        // Both keys configured: callbacks signed with either verify.
        try await T.withListener(keys: T.bothKeys, sink: sink) { _, url in
            let old = try await T.post(url, T.body(key: T.oldKey, statusId: 2))
            let new = try await T.post(url, T.body(key: T.newKey, statusId: 11))
            #expect(old.status == 200)
            #expect(new.status == 200)
        }
        // The old key removed: only the new one verifies.
        let onlyNew = CallbackKeys([(keyType: 7, key: T.newKey)])
        try await T.withListener(keys: onlyNew, sink: sink) { listener, url in
            let old = try await T.post(url, T.body(key: T.oldKey, statusId: 4))
            #expect(old.status == 401)
            #expect(old.text == "refused: hash_mismatch\n")
            #expect(try await T.post(url, T.body(key: T.newKey, statusId: 4)).status == 200)
            #expect(listener.counters.refused(.hashMismatch) == 1)
        }
        #expect(await sink.recorded.map(\.paymentStatusId) == [2, 11, 4])
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let sink = MemoryCallbackSink()
        try await T.withListener(sink: sink, maximumBodyBytes: 1_024) { listener, url in
            let padded = T.body().dropLast() + #","Padding":""# + String(repeating: "x", count: 2_000) + #""}"#
            let answer = try await T.post(url, String(padded))
            #expect(answer.status == 413)
            #expect(answer.text == "refused: body_too_large\n")
            #expect(try await T.post(url, T.body()).status == 200)
            #expect(listener.counters.refused(.bodyTooLarge) == 1)
        }
        try await T.withListener(sink: sink) { _, url in
            let huge = try await T.post(url, String(repeating: " ", count: 70_000) + T.body())
            #expect(huge.status == 413)
        }
        #expect(await sink.deliveries.count == 1)
    }

    @Test func logsNameTheReasonAndPaymentButNeverTheKeyOrTheBody() async throws {
        let logs = LogCapture()
        let sink = MemoryCallbackSink()
        try await T.withListener(sink: sink, logs: logs) { _, url in
            _ = try await T.post(url, T.body(key: "attacker-key"))
            _ = try await T.post(url, "not json at all")
            _ = try await T.post(url, T.body(key: T.newKey))
        }
        let refusals = logs.all.filter { $0.message == "Callback refused" }
        #expect(refusals.count == 2)
        #expect(refusals.allSatisfy { $0.level == .notice })
        #expect(refusals.first?.metadata["outbox.callback.refusal"] == "hash_mismatch")
        #expect(refusals.first?.metadata["outbox.payment_request_id"] == "6b1809c7-0d3e-4b6e-9f59-3f0c1f0e2a11")
        #expect(refusals.last?.metadata["outbox.callback.refusal"] == "not_json")
        #expect(logs.all.contains { $0.message == "Callback verified" })
        let running = try #require(logs.all.first { $0.message == "Callback listener running" })
        #expect(running.metadata["outbox.callback.keys"] == "HashKeyType 7: 2 keys")
        let hash = CallbackHash.compute(
            key: T.newKey, paymentRequestId: "6b1809c7-0d3e-4b6e-9f59-3f0c1f0e2a11",
            merchantUniqueCode: "0b8f7a52-6d44-4c43-9a4e-000000000001", amount: "22.10")
        for line in logs.all {
            for secret in [T.oldKey, T.newKey, "attacker-key", "0b8f7a52-6d44-4c43-9a4e-000000000001", hash, "PhysicalPos"] {
                #expect(!line.text.contains(secret), "\(line.message) shows \(secret)")
            }
        }
    }

    @Test func theListenerStopsOnGracefulShutdown() async throws {
        let sink = MemoryCallbackSink()
        // withListener triggers graceful shutdown and waits for run() to return.
        let listener = try await T.withListener(sink: sink) { listener, _ in listener }
        #expect(listener.port == nil)
        #expect(await listener.waitUntilListening() == nil)
    }
}

@Suite("Callback listener rules")
struct CallbackListenerRuleTests {
    @Test(arguments: CallbackRefusal.Code.allCases)
    func everyRefusalHasAStatusAndAConstantText(_ code: CallbackRefusal.Code) {
        let reply = CallbackReply.refused(code)
        let expected: Int
        switch code {
        case .hashMismatch, .unknownKeyType: expected = 401
        case .bodyTooLarge: expected = 413
        default: expected = 400
        }
        #expect(reply.status == expected)
        #expect(reply.text == "refused: \(code.rawValue)\n")
    }

    @Test(arguments: [
        ("0.0.0.0:8080", "0.0.0.0", 8080), ("127.0.0.1:0", "127.0.0.1", 0), ("[::1]:8443", "::1", 8443),
        ("localhost:65535", "localhost", 65535),
    ])
    func addresses(text: String, host: String, port: Int) throws {
        let parsed = try #require(CallbackListenerConfiguration.parseAddress(text))
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["8080", ":8080", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536", "0.0.0.0:-1", "::1:8080", "[::1]8080", "a b:80", "http://x:80"])
    func badAddresses(_ text: String) {
        #expect(CallbackListenerConfiguration.parseAddress(text) == nil)
    }

    @Test(arguments: [
        ("/paywall/callback", nil), ("/cb", nil), ("/a/b-c_d.e~f/1", nil),
        ("paywall", "must start with /"), ("/paywall/", "must not have empty"), ("/a//b", "must not have empty"),
        ("/a/../b", "must not have empty"), ("/a?b=1", "may hold only"), ("/:id", "may hold only"), ("/a*", "may hold only"),
        ("/ü", "may hold only"),
    ] as [(String, String?)])
    func paths(path: String, problem: String?) {
        let found = CallbackListenerConfiguration.pathProblem(path)
        if let problem {
            #expect(found?.contains(problem) == true, "\(path): \(found ?? "nil")")
        } else {
            #expect(found == nil, "\(path): \(found ?? "")")
        }
    }
}
