import OutboxModel
import OutboxStore
import PaywallClient
import Synchronization

/// A request prepared inside the claim's transaction, for a command marked there as leaving.
struct ReadySend: Sendable {
    /// The validated request.
    let request: PaywallRequest
    /// The PaymentRequestId a follow-up carries (nil for a sale).
    let paymentRequestId: String?
}

/// Decides, inside the claim's transaction (``WorkerStore/claimBatch(owner:clock:limit:leaseMillis:decide:)``),
/// which claimed commands are marked as leaving at once: those the full path would send
/// straight away. So a sale, a cancel or an approval costs one write transaction before its
/// request, not a claim, a planning read and a mark.
///
/// A command goes this way only when every check the full path makes before its mark passes:
/// the planner (with the context read in the same transaction) says send, its phase allows it,
/// no Retry-After hold is on for its credentials, the breaker is not open, its payload is
/// valid, and Paywall deduplicates its kind (a kind it does not, pairing, needs the fsynced
/// mark of ``WorkerStore/markSending(commandID:owner:clock:deadline:durable:)``: it takes the
/// full path). Anything else is only claimed and planned again by ``CommandProcessor``, which
/// gives the same decision with its recorded outcome. Just before the request leaves, the task
/// looks again (``CommandProcessor/lastLook(_:kind:)``: deadline, pause, holds read from the
/// database) and takes the mark back if it may not go.
///
/// One lane per claim; the store calls ``decide(_:context:now:)`` one command after another.
final class FastLane: Sendable {
    let processor: CommandProcessor
    /// The breaker as the claimer saw it (`.probing` for the one probe after a pause).
    let breaker: BreakerView
    private let marked = Mutex<[Int64: ReadySend]>([:])

    /// The requests of the commands marked so far, by command id.
    var ready: [Int64: ReadySend] { marked.withLock { $0 } }

    init(processor: CommandProcessor, breaker: BreakerView) {
        self.processor = processor
        self.breaker = breaker
    }

    /// The store's `decide`: mark `command` as leaving, or only claim it.
    func decide(_ command: OutboxCommand, context: PlanningContext, now: EpochMillis) -> ClaimStep {
        guard let kind = command.kind, kind.unknownOutcomeResolution != .none else { return .claimOnly }
        // The breaker as it is now, not only as the claimer saw it before waiting for the lock.
        if case .open = breaker { return .claimOnly }
        if case .open = processor.state.breakerView { return .claimOnly }
        let planned = processor.planner.plan(
            PlanInput(
                command: command, sale: context.sale, related: context.related, now: now, breaker: breaker,
                owner: processor.owner))
        guard case .send(let paymentRequestId) = planned, CommandPhase.guarded(planned, for: command) == planned else {
            return .claimOnly
        }
        let credentials = PaywallCatalog().endpoint(for: kind).credentials
        guard processor.state.heldUntil(credentials, now: now) == nil,
            // The builder, not the client's prepare: a refusal is logged (with the command's
            // id) once, by the full path that records it.
            let request = try? processor.worker.client.builder.build(
                kind: kind, payload: command.payload, paymentRequestId: paymentRequestId)
        else { return .claimOnly }
        marked.withLock { $0[command.id] = ReadySend(request: request, paymentRequestId: paymentRequestId) }
        return .markSending(deadline: processor.worker.configuration.deadline(of: command))
    }
}
