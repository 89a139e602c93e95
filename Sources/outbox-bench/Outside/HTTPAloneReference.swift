import Foundation
import PaywallClient

/// The "HTTP alone" reference: the worker's own transport (``HTTPClientTransport``, the same
/// AsyncHTTPClient configuration, one connection per concurrent request) sending sale-shaped
/// POSTs to the same stand-in from this process, with no database, no planning and no logging.
///
/// It is the floor under the worker's drain on this machine: no worker that sends each command
/// through AsyncHTTPClient can drain faster, or spend less CPU per command, than this row. Its
/// CPU is this process's (user + system) minus the stand-in's thread, so the benchmark's other
/// threads (idle while it runs) count against it, never for it.
///
/// Its result is a ``RawSQLiteReference/Result`` whose commands are the requests sent (one sale
/// each), so the drain section reads every reference the same way.
enum HTTPAloneReference {
    typealias Result = RawSQLiteReference.Result

    /// Sends `count` POSTs, `concurrency` at a time, each with a fresh MerchantUniqueCode.
    static func run(standIn: StandIn, count: Int, concurrency: Int) async throws -> Result {
        precondition(count > 0 && concurrency > 0, "HTTP alone needs requests and a concurrency")
        let transport = HTTPClientTransport(connectionsPerHost: concurrency)
        do {
            let result = try await measure(transport, standIn: standIn, count: count, concurrency: concurrency)
            try? await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    private static func measure(
        _ transport: HTTPClientTransport, standIn: StandIn, count: Int, concurrency: Int
    ) async throws -> Result {
        let bodies = (0..<count).map { _ in Array(RawSQLiteReference.saleJSON(UUID().uuidString.lowercased()).utf8) }
        var headers = PaywallHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let requests = bodies.map { body in
            PaywallRequest(
                operation: .command(.asyncSale), method: .post, baseURL: standIn.baseURL, path: "/api/payment/async/sale",
                headers: headers, body: body)
        }
        // One warm-up request opens the first connection outside the measurement.
        _ = try await transport.send(requests[0], timeout: .seconds(10))
        let cpuBefore = processCPUSeconds()
        let standInBefore = try await standIn.cpuSeconds()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let request = requests[next]
                next += 1
                group.addTask {
                    let answer = try await transport.send(request, timeout: .seconds(10))
                    if answer.status != 200 { throw OutsideError("the stand-in answered \(answer.status)") }
                }
            }
            while next < min(concurrency, count) { add() }
            while try await group.next() != nil {
                if next < count { add() }
            }
        }
        let seconds = (ContinuousClock.now - start).seconds
        let standInCPU = try await standIn.cpuSeconds() - standInBefore
        let cpu = max(processCPUSeconds() - cpuBefore - standInCPU, 0)
        return Result(commands: count, seconds: seconds, cpuSeconds: cpu)
    }
}
