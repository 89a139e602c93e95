import AsyncHTTPClient
import Logging
import NIOCore

/// Posts queued callbacks one at a time with AsyncHTTPClient's shared client and records what
/// each receiver answered. Delivery is best effort: one attempt, 5 s timeout, no retry.
enum CallbackSender {
    static func run(_ deliveries: AsyncStream<CallbackDelivery>, core: SimulatorCore, logger: Logger) async {
        for await delivery in deliveries {
            let text = delivery.payload.serialized()
            var request = HTTPClientRequest(url: delivery.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: text))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 1 << 16)
                await core.recordCallback(
                    CallbackRecord(url: delivery.url, payload: text, responseStatus: Int(response.status.code)))
                logger.debug(
                    "simulator callback delivered",
                    metadata: [
                        "sim.callback.url": .string(delivery.url),
                        "sim.callback.status": .stringConvertible(response.status.code),
                    ])
            } catch {
                await core.recordCallback(CallbackRecord(url: delivery.url, payload: text, error: "\(error)"))
                logger.notice(
                    "simulator callback failed",
                    metadata: ["sim.callback.url": .string(delivery.url), "sim.error": .string("\(error)")])
            }
        }
    }
}
