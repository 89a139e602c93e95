import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OutboxModel
import OutboxWorker
import PaywallClient
import PaywallSimulator
import ServiceLifecycle
import Synchronization
import Testing

/// Helpers of the callback tests: a listener on an ephemeral loopback port, an HTTP poster, a log
/// capture, a signed body, and a poll with a generous deadline (never a fixed sleep).
enum CallbackTesting {
    static let path = "/paywall/callback"
    static let oldKey = "OLD-webhook-key-7f3a"
    static let newKey = "NEW-webhook-key-91c2"
    static let bothKeys = CallbackKeys([(keyType: 7, key: oldKey), (keyType: 7, key: newKey)])
    static let receivedAt: EpochMillis = 1_800_000_000_000

    /// Runs a listener in its own ServiceGroup while `body` runs, then shuts it down gracefully
    /// and checks that `run()` returned.
    static func withListener<T>(
        keys: CallbackKeys = bothKeys, sink: any CallbackSink, maximumBodyBytes: Int = 65_536,
        logs: LogCapture? = nil, metrics: WorkerMetrics? = nil, _ body: (CallbackListener, String) async throws -> T
    ) async throws -> T {
        let logger = logs?.logger ?? Logger(label: "callbacks", factory: { _ in SwiftLogNoOpLogHandler() })
        let listener = CallbackListener(
            configuration: CallbackListenerConfiguration(
                host: "127.0.0.1", port: 0, path: path, keys: keys, maximumBodyBytes: maximumBodyBytes),
            sink: sink, clock: ManualWallClock(start: receivedAt), logger: logger, metrics: metrics)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [listener], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        guard let port = await listener.waitUntilListening() else {
            _ = try? await task.value
            throw TestFailure("the listener did not start")
        }
        let url = "http://127.0.0.1:\(port)\(path)"
        do {
            let result = try await body(listener, url)
            await group.triggerGracefulShutdown()
            try await task.value
            #expect(listener.port == nil)
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
    }

    struct Answer {
        var status: Int
        var text: String
        var headers: [(String, String)]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    static func post(_ url: String, _ body: String, method: String = "POST") async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        if method == "POST" || method == "PUT" { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return Answer(
            status: Int(response.status.code), text: String(buffer: buffer),
            headers: response.headers.map { ($0.name, $0.value) })
    }

    /// A callback body signed with `key` (S6 layout).
    static func body(
        key: String = oldKey, paymentRequestId: String = "6b1809c7-0d3e-4b6e-9f59-3f0c1f0e2a11",
        activityId: String = "c3d4e5f6-0000-4000-8000-000000000002", statusId: Int = 4,
        merchantUniqueCode: String = "0b8f7a52-6d44-4c43-9a4e-000000000001", amount: String = "22.10",
        keyType: Int = 7, hash: String? = nil
    ) -> String {
        let signature =
            hash
            ?? CallbackHash.compute(
                key: key, paymentRequestId: paymentRequestId, merchantUniqueCode: merchantUniqueCode, amount: amount)
        return #"{"ConnectionId":"00000000-0000-4000-8000-00000000c0de","TerminalId":"a1b2c3d4-0000-4000-8000-000000000001","PaymentRequestId":"\#(paymentRequestId)","PaymentRequestActivityId":"\#(activityId)","PaymentTypeId":1,"PaymentStatusId":\#(statusId),"MerchantUniqueCode":"\#(merchantUniqueCode)","DisplayCode":"D1","Amount":\#(amount),"Message":null,"Hash":"\#(signature)","HashFormat":"PhysicalPos","HashKeyType":\#(keyType)}"#
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` (generous) passes.
    static func eventually(
        _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("timed out waiting for: \(what)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A sink that throws, like a store whose database is busy.
struct BusySink: CallbackSink {
    struct Busy: Error {}
    func accept(_ callback: VerifiedCallback) async throws -> CallbackDisposition { throw Busy() }
}

/// Captures log lines (level, message, metadata rendered as text) in memory.
final class LogCapture: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]

        /// The whole line as text, for "never contains" checks.
        var text: String {
            ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    let lines = Mutex<[Line]>([])

    var logger: Logger {
        var logger = Logger(label: "callbacks", factory: { _ in Handler(capture: self) })
        logger.logLevel = .trace
        return logger
    }

    var all: [Line] { lines.withLock { $0 } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            for (key, value) in event.metadata ?? [:] { merged[key] = value }
            let line = Line(
                level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            capture.lines.withLock { $0.append(line) }
        }
    }
}
