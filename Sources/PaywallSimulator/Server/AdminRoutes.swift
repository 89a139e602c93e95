import Foundation
import Hummingbird

/// The `/_sim/...` admin API: inspection and control for tests and for people debugging an
/// integration. Never faulted, never recorded in the request log, never needs credentials.
enum AdminRoutes {
    /// `POST /_sim/faults` body: any subset of ``FaultSettings`` fields, plus `script`, faults
    /// forced on the next requests in order.
    struct FaultUpdate: Decodable {
        var serverErrorRate: Double?
        var serviceUnavailableRate: Double?
        var tooManyRequestsRate: Double?
        var retryAfterSeconds: Int?
        var slowRate: Double?
        var slowDelayMillis: Int64?
        var dropAfterProcessingRate: Double?
        var script: [Fault]?
    }

    /// `POST /_sim/offline` body.
    struct OfflineUpdate: Decodable {
        var offline: Bool?
        var seconds: Double?
    }

    /// `POST /_sim/terminals/{key}` body.
    struct TerminalUpdate: Decodable {
        var offline: Bool?
        var outcome: SaleOutcomeRule?
    }

    /// `POST /_sim/device` body.
    struct DeviceUpdate: Decodable {
        var takeDelayMillis: Int64?
        var processingMillis: Int64?
        var defaultOutcome: SaleOutcomeRule?
    }

    /// `POST /_sim/callbacks/settings` body: any subset of ``CallbackDeliverySettings`` fields,
    /// plus `hashKey`, the key the next callbacks are signed with.
    struct CallbackUpdate: Decodable {
        var dropRate: Double?
        var duplicates: Bool?
        var order: CallbackOrder?
        var holdMillis: Int64?
        var hashKeyType: Int?
        var hashKey: String?
    }

    struct CallbackSettingsView: Encodable {
        var settings: CallbackDeliverySettings
        var signing: Bool
        var held: Int
    }

    struct FaultView: Encodable {
        var settings: FaultSettings
        var script: [Fault]
    }

    struct Index: Encodable {
        var endpoints: [String]
    }

    static let index = Index(endpoints: [
        "GET  /_sim/requests                 requests received on Paywall endpoints, in order (credentials redacted)",
        "GET  /_sim/payments                 every payment and its state",
        "GET  /_sim/sales                    sale requests per MerchantUniqueCode {received, processed, accepted}",
        "GET  /_sim/callbacks                callbacks sent (or dropped) and what the receiver answered",
        "GET  /_sim/callbacks/settings       callback delivery: dropRate, duplicates, order, holdMillis, hashKeyType; held count",
        "POST /_sim/callbacks/settings       {dropRate, duplicates, order: in_order|reversed, holdMillis, hashKeyType, hashKey}",
        "POST /_sim/callbacks/release        post every held-back callback now",
        "GET  /_sim/faults                   fault rates and scripted faults",
        "POST /_sim/faults                   {serverErrorRate, serviceUnavailableRate, tooManyRequestsRate, retryAfterSeconds, slowRate, slowDelayMillis, dropAfterProcessingRate, script:[...]}",
        "POST /_sim/offline                  {\"seconds\": 10} close the port for 10 s (connection refused), then reopen",
        "GET  /_sim/terminals                terminals with settings of their own",
        "POST /_sim/terminals/{key}          {\"offline\": true, \"outcome\": \"always_fail\"}",
        "POST /_sim/terminals/{key}/offline  {\"offline\": true} (empty body = true)",
        "GET  /_sim/device                   device timing",
        "POST /_sim/device                   {takeDelayMillis, processingMillis, defaultOutcome}",
        "POST /_sim/reset                    forget everything; random sequences restart from the seed",
    ])

    static func callbackView(_ core: SimulatorCore) async -> CallbackSettingsView {
        CallbackSettingsView(
            settings: await core.callbackDelivery(), signing: await core.callbackHashKey != nil,
            held: await core.heldCallbackCount())
    }

    static func register(on router: Router<SimulatorRequestContext>, core: SimulatorCore, listener: ListenerController)
    {
        let admin = router.group("_sim")
        admin.get { _, _ in HTTPBridge.json(index) }
        admin.get("requests") { _, _ in HTTPBridge.json(await core.requests) }
        admin.get("payments") { _, _ in HTTPBridge.json(await core.payments().map(PaymentView.init)) }
        admin.get("sales") { _, _ in HTTPBridge.json(await core.saleCounts()) }
        admin.get("callbacks") { _, _ in HTTPBridge.json(await core.callbackRecords) }
        admin.get("callbacks/settings") { _, _ in HTTPBridge.json(await callbackView(core)) }
        admin.post("callbacks/settings") { request, _ in
            do {
                var request = request
                let update = try HTTPBridge.decode(CallbackUpdate.self, from: try await HTTPBridge.body(&request))
                var settings = await core.callbackDelivery()
                if let v = update.dropRate { settings.dropRate = v }
                if let v = update.duplicates { settings.duplicates = v }
                if let v = update.order { settings.order = v }
                if let v = update.holdMillis { settings.holdMillis = v }
                if let v = update.hashKeyType { settings.hashKeyType = v }
                if let key = update.hashKey {
                    guard !key.isEmpty else { return HTTPBridge.error("hashKey must not be empty") }
                }
                try await core.setCallbackDelivery(settings)
                if let key = update.hashKey { await core.setCallbackHashKey(key) }
                return HTTPBridge.json(await callbackView(core))
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.post("callbacks/release") { _, _ in
            await core.releaseHeldCallbacks()
            return HTTPBridge.json(await callbackView(core))
        }
        admin.get("faults") { _, _ in
            HTTPBridge.json(FaultView(settings: await core.faultSettings(), script: await core.faultScript()))
        }
        admin.post("faults") { request, _ in
            do {
                var request = request
                let update = try HTTPBridge.decode(FaultUpdate.self, from: try await HTTPBridge.body(&request))
                var settings = await core.faultSettings()
                if let v = update.serverErrorRate { settings.serverErrorRate = v }
                if let v = update.serviceUnavailableRate { settings.serviceUnavailableRate = v }
                if let v = update.tooManyRequestsRate { settings.tooManyRequestsRate = v }
                if let v = update.retryAfterSeconds { settings.retryAfterSeconds = v }
                if let v = update.slowRate { settings.slowRate = v }
                if let v = update.slowDelayMillis { settings.slowDelayMillis = v }
                if let v = update.dropAfterProcessingRate { settings.dropAfterProcessingRate = v }
                try await core.setFaults(settings)
                if let script = update.script { await core.scriptFaults(script) }
                return HTTPBridge.json(
                    FaultView(settings: await core.faultSettings(), script: await core.faultScript()))
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.post("offline") { request, _ in
            do {
                var request = request
                let update = try HTTPBridge.decode(OfflineUpdate.self, from: try await HTTPBridge.body(&request))
                guard update.offline ?? true else {
                    return HTTPBridge.error(
                        "the simulator is online (this answer proves it); to go offline send {\"seconds\": N}")
                }
                guard let seconds = update.seconds, seconds > 0, seconds <= 3600 else {
                    return HTTPBridge.error(
                        "give {\"seconds\": N} (0 < N <= 3600): over HTTP the simulator can only go offline for a while, "
                            + "since the admin API shares the closed port")
                }
                await listener.scheduleOffline(forMillis: Int64(seconds * 1000))
                return HTTPBridge.json(["offline": "true", "seconds": String(seconds)])
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.get("terminals") { _, _ in HTTPBridge.json(await core.terminals()) }
        admin.post("terminals/:key") { request, context in
            do {
                let key = try context.parameters.require("key")
                var request = request
                let update = try HTTPBridge.decode(TerminalUpdate.self, from: try await HTTPBridge.body(&request))
                var settings = await core.terminalSettings(key)
                if let offline = update.offline { settings.offline = offline }
                if let outcome = update.outcome { settings.outcome = outcome }
                await core.setTerminal(key, settings)
                return HTTPBridge.json(settings)
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.post("terminals/:key/offline") { request, context in
            do {
                let key = try context.parameters.require("key")
                var request = request
                let update = try HTTPBridge.decode(OfflineUpdate.self, from: try await HTTPBridge.body(&request))
                var settings = await core.terminalSettings(key)
                settings.offline = update.offline ?? true
                await core.setTerminal(key, settings)
                return HTTPBridge.json(settings)
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.get("device") { _, _ in HTTPBridge.json(await core.deviceSettings()) }
        admin.post("device") { request, _ in
            do {
                var request = request
                let update = try HTTPBridge.decode(DeviceUpdate.self, from: try await HTTPBridge.body(&request))
                var settings = await core.deviceSettings()
                if let v = update.takeDelayMillis { settings.takeDelayMillis = v }
                if let v = update.processingMillis { settings.processingMillis = v }
                if let v = update.defaultOutcome { settings.defaultOutcome = v }
                await core.setDevice(settings)
                return HTTPBridge.json(settings)
            } catch let error as SimulatorError {
                return HTTPBridge.error(error.description)
            }
        }
        admin.post("reset") { _, _ in
            await core.reset()
            return HTTPBridge.json(["reset": "true"])
        }
    }
}
