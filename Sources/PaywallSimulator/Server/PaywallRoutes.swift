import Hummingbird
import Logging
import NIOCore
import PaywallClient

/// Registers every Paywall endpoint on the router: record → fault → process → answer.
enum PaywallRoutes {
    static func register(on router: Router<SimulatorRequestContext>, core: SimulatorCore) {
        for route in SimulatorRoute.allCases {
            for method in route.methods {
                router.on(RouterPath(route.routerPath), method: HTTPRequest.Method(rawValue: method.rawValue)!) {
                    request, context in
                    try await handle(route, request: request, context: context, core: core)
                }
            }
        }
    }

    static func handle(
        _ route: SimulatorRoute, request: Request, context: SimulatorRequestContext, core: SimulatorCore
    ) async throws -> Response {
        var request = request
        let body = try await HTTPBridge.body(&request)
        let call = PaywallCall(
            route: route, headers: HTTPBridge.headers(request.headers), body: body,
            pathParameter: context.parameters.get("paymentRequestId"))
        let (sequence, fault, slowDelay) = await core.begin(
            call, method: request.method.rawValue, path: request.uri.description)
        if !fault.processes {
            let answer = await core.faultAnswer(fault, route: route)
            await core.finish(sequence: sequence, answer: answer)
            return HTTPBridge.response(answer)
        }
        let answer = await core.process(call)
        switch fault {
        case .slow:
            try await Task.sleep(for: .milliseconds(slowDelay))
        case .dropAfterProcessing:
            await core.finish(sequence: sequence, answer: nil)
            try? await context.channel.close(mode: .all)
            throw ConnectionDropped()
        default:
            break
        }
        await core.finish(sequence: sequence, answer: answer)
        return HTTPBridge.response(answer)
    }
}
