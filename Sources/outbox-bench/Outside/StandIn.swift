import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A fixed-answer stand-in for Paywall: a bare NIO HTTP/1.1 server on 127.0.0.1 with one event
/// loop thread (so its CPU is one thread's, readable with ``cpuSeconds()``). Every request gets a
/// fixed success body for its endpoint family (``StandInAnswers``) after an optional delay, over
/// keep-alive connections.
///
/// It counts requests, the most it had in flight at once, and when (wall clock, microseconds) the
/// request carrying each MerchantUniqueCode arrived, so a producer in another process can compute
/// insert→request latency from its own commit times.
final class StandIn: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let recorder: StandInRecorder
    let port: Int

    /// Starts the server; `delayMillis` is added before every answer.
    static func start(delayMillis: Int) async throws -> StandIn {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorder = StandInRecorder(delayMillis: delayMillis)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StandInHandler(recorder: recorder))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw OutsideError("the stand-in has no port") }
        return StandIn(group: group, channel: channel, recorder: recorder, port: port)
    }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, recorder: StandInRecorder, port: Int) {
        self.group = group
        self.channel = channel
        self.recorder = recorder
        self.port = port
    }

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sets the answer delay for the next requests.
    func setDelay(millis: Int) { recorder.setDelay(millis) }

    /// CPU seconds (user + system) of the server's one event-loop thread so far.
    func cpuSeconds() async throws -> Double {
        try await channel.eventLoop.submit { threadCPUSeconds() }.get()
    }

    func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}


/// What the stand-in saw since the last ``reset()``. Shared between the event loop and the bench.
final class StandInRecorder: Sendable {
    struct State {
        var delayMillis: Int
        var requests = 0
        var inFlight = 0
        var maxInFlight = 0
        /// Monotonic time of the first and last request head since the reset.
        var firstAt: ContinuousClock.Instant?
        var lastAt: ContinuousClock.Instant?
        /// MerchantUniqueCode (lowercased) → wall-clock microseconds when its request head arrived.
        var receivedAt: [String: Int64] = [:]
        var byPath: [String: Int] = [:]
    }

    let state: NIOLockedValueBox<State>

    init(delayMillis: Int) {
        state = NIOLockedValueBox(State(delayMillis: delayMillis))
    }

    func setDelay(_ millis: Int) { state.withLockedValue { $0.delayMillis = millis } }

    /// Forgets everything counted so far (the delay stays).
    func reset() {
        state.withLockedValue { state in
            state = State(delayMillis: state.delayMillis)
        }
    }

    var requests: Int { state.withLockedValue { $0.requests } }
    var snapshot: State { state.withLockedValue { $0 } }

    fileprivate func began(path: String) -> Int {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            state.requests += 1
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            if state.firstAt == nil { state.firstAt = now }
            state.lastAt = now
            state.byPath[path, default: 0] += 1
            return state.delayMillis
        }
    }

    fileprivate func received(merchantUniqueCode: String, at micros: Int64) {
        state.withLockedValue { state in
            if state.receivedAt[merchantUniqueCode] == nil { state.receivedAt[merchantUniqueCode] = micros }
        }
    }

    fileprivate func answered() {
        state.withLockedValue { $0.inFlight -= 1 }
    }
}

/// One connection's handler: collects the request, answers it (after the delay), keeps the
/// connection open unless the client asked to close it.
final class StandInHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let recorder: StandInRecorder
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var receivedMicros: Int64 = 0
    private var delayMillis = 0

    init(recorder: StandInRecorder) {
        self.recorder = recorder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            receivedMicros = wallMicros()
            delayMillis = recorder.began(path: head.uri)
        case .body(var chunk):
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            if let body, let code = merchantUniqueCode(in: body) {
                recorder.received(merchantUniqueCode: code, at: receivedMicros)
            }
            let answer = StandInAnswers.body(method: head.method, uri: head.uri)
            let keepAlive = head.isKeepAlive
            let version = head.version
            self.head = nil
            body = nil
            if delayMillis > 0 {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(delayMillis))) {
                    let (handler, context) = bound.value
                    handler.respond(context: context, body: answer, keepAlive: keepAlive, version: version)
                }
            } else {
                respond(context: context, body: answer, keepAlive: keepAlive, version: version)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, body: String, keepAlive: Bool, version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let recorder = self.recorder
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        recorder.answered()
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// The fixed success bodies, one per endpoint family the worker calls (PaywallClient's catalog).
/// The benchmark only queues sales; the others are here so a stray inquiry or list does not fail.
enum StandInAnswers {
    /// A sale (and cancel, rollback, pairing) accepted: what ``AnswerClassifier`` reads as
    /// succeeded, with the PaymentRequestId a sale requires.
    static let command =
        #"{"Result":{"PaymentRequestId":"7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false,"Message":"Success","ClientMessage":""}"#
    /// An empty payment list or activity list, one page.
    static let emptyList =
        #"{"Result":{"Items":[],"Pagination":{"CurrentPage":1,"PageCount":1,"PageSize":100,"TotalCount":0}},"ErrorCode":0,"Succeeded":true,"Failed":false,"Message":"Success","ClientMessage":""}"#
    /// A payment inquiry.
    static let inquiry =
        #"{"Result":{"PaymentRequestId":"7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false,"Message":"Success","ClientMessage":""}"#
    /// A PaymentAPI marketplace approval, every product approved.
    static let approval = #"{"ErrorCode":0,"Result":true,"Message":"Success","Body":{"Success":[],"Failed":[]}}"#

    static func body(method: HTTPMethod, uri: String) -> String {
        if uri.hasPrefix("/api/payment/list") || uri.hasPrefix("/api/payment/activities") { return emptyList }
        if uri.hasPrefix("/api/payment/inquiry") { return inquiry }
        if uri.contains("/marketplace/") { return approval }
        return command
    }
}

/// The value of `"MerchantUniqueCode"` in a JSON body, lowercased, found by a byte scan (the
/// worker and the Python peers space JSON differently; the stand-in does not parse it all).
func merchantUniqueCode(in buffer: ByteBuffer) -> String? {
    buffer.withUnsafeReadableBytes { raw -> String? in
        let key = Array(#""MerchantUniqueCode""#.utf8)
        let bytes = raw.bindMemory(to: UInt8.self)
        guard bytes.count > key.count else { return nil }
        var index = 0
        outer: while index + key.count <= bytes.count {
            for offset in 0..<key.count where bytes[index + offset] != key[offset] {
                index += 1
                continue outer
            }
            var cursor = index + key.count
            while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: ":") {
                cursor += 1
            }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
            cursor += 1
            let start = cursor
            while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\"") { cursor += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<cursor]), as: UTF8.self).lowercased()
        }
        return nil
    }
}
