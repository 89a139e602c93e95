import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

@testable import OutboxWorker

/// A configuration with round numbers, for rule tables.
func testConfiguration(path: String = "/tmp/unused.sqlite", baseURL: String = "http://127.0.0.1:1") -> WorkerConfiguration {
    var configuration = WorkerConfiguration(
        store: OutboxStoreConfiguration(path: path),
        paywall: PaywallConfiguration(
            physicalBaseURL: baseURL, paymentBaseURL: baseURL,
            privateCredentials: PaywallCredentials(apiKey: "sim-private-key", apiClient: "sim-private-client"),
            publicCredentials: PaywallCredentials(apiKey: "sim-public-key", apiClient: "sim-public-client"),
            connectTimeout: .seconds(2), requestTimeout: .seconds(5)),
        workerID: "test-worker")
    configuration.maxAttempts = 5
    configuration.maxAgeMillis = 3_600_000
    configuration.backoff = Backoff(baseMillis: 1_000, factor: 2, capMillis: 60_000)
    configuration.breakerBackoff = Backoff(baseMillis: 1_000, factor: 2, capMillis: 30_000)
    configuration.rollbackMarginMillis = 1_000
    configuration.reconcileDelayMillis = 2_000
    configuration.landingGraceMillis = 1_000
    return configuration
}

let t0: EpochMillis = 1_800_000_000_000
let saleKey = "11111111-1111-4111-8111-111111111111"
let paymentID = "22222222-2222-4222-8222-222222222222"

/// A command value for rule tables.
func command(
    _ id: Int64, _ kind: CommandKind, key: String? = nil, state: CommandState = .pending, saleKey: String? = nil,
    paymentRequestId: String? = nil, createdAt: EpochMillis = t0, notBefore: EpochMillis? = nil,
    deadline: EpochMillis? = nil, attempts: Int = 0, needsReconcile: Bool = false, prid: String? = nil,
    acceptedAt: EpochMillis? = nil, dueAt: EpochMillis = 0
) -> OutboxCommand {
    OutboxCommand(
        id: id, commandKey: key ?? (kind.role == .sale ? OutboxWorkerTests.saleKey : UUID().uuidString.lowercased()),
        kind: kind, saleKey: saleKey, paymentRequestId: paymentRequestId, notBefore: notBefore, deadline: deadline,
        createdAt: createdAt, state: state, attempts: attempts, dueAt: dueAt, needsReconcile: needsReconcile,
        leaseOwner: state == .inFlight ? "someone" : nil, paywallPaymentRequestId: prid, acceptedAt: acceptedAt)
}
