import OutboxModel
import Testing

@testable import OutboxStore

/// The repair rules every engine applies (``RepairRules``), as tables.
@Suite("Repair rules")
struct RepairRulesTests {
    struct DiscardCase: Sendable, CustomTestStringConvertible {
        let state: String
        let owner: String?
        let marked: Bool
        let force: Bool
        let refused: RepairError.Code?
        var testDescription: String { "\(state) owner=\(owner ?? "-") marked=\(marked) force=\(force)" }
    }

    @Test(
        "discard: only pending, unleased, and not awaiting reconciliation unless forced",
        arguments: [
            DiscardCase(state: "pending", owner: nil, marked: false, force: false, refused: nil),
            DiscardCase(state: "pending", owner: nil, marked: true, force: false, refused: .mayHaveBeenSent),
            DiscardCase(state: "pending", owner: nil, marked: true, force: true, refused: nil),
            // A lease owner on a pending row (a worker between release steps): still held.
            DiscardCase(state: "pending", owner: "w1", marked: false, force: true, refused: .inFlight),
            DiscardCase(state: "in_flight", owner: "w1", marked: false, force: true, refused: .inFlight),
            DiscardCase(state: "in_flight", owner: nil, marked: false, force: false, refused: .inFlight),
            DiscardCase(state: "succeeded", owner: nil, marked: false, force: true, refused: .wrongState),
            DiscardCase(state: "dead", owner: nil, marked: true, force: true, refused: .wrongState),
            DiscardCase(state: "bogus", owner: nil, marked: false, force: false, refused: .wrongState),
        ])
    func discard(_ row: DiscardCase) {
        let refusal = RepairRules.discardRefusal(
            id: 7, stateName: row.state, leaseOwner: row.owner, needsReconcile: row.marked, force: row.force)
        #expect(refusal?.code == row.refused)
    }

    @Test(
        "retry: only from dead, expired or failed",
        arguments: [
            ("dead", true), ("expired", true), ("failed", true), ("pending", false), ("in_flight", false),
            ("succeeded", false), ("discarded", false), ("revoked", false), ("bogus", false),
        ])
    func retryable(_ state: String, _ allowed: Bool) {
        #expect((RepairRules.retryRefusal(id: 1, stateName: state) == nil) == allowed)
    }

    @Test("retry: the next generation, the deadline asked for, reconcile-first after an unsettled send, and an audit of the row before")
    func retryResult() throws {
        let row = RepairRules.RetriedRow(
            stateName: "dead", generation: 3, attempts: 5, lastError: "timed out", deadline: 1_000, needsReconcile: false)
        let kept = try RepairRules.retry(id: 9, row, attemptOutcomes: ["transient", "unknown"], deadline: .keep, note: nil)
        #expect(kept.result == RetryResult(id: 9, previousState: .dead, generation: 4, needsReconcile: true, deadline: 1_000))
        #expect(kept.audit["previous_generation"] == .int(3) && kept.audit["previous_attempts"] == .int64(5))
        #expect(kept.audit["note"] == .null)
        let moved = try RepairRules.retry(
            id: 9, row, attemptOutcomes: ["unknown", "reconciled"], deadline: .at(2_000), note: "n")
        #expect(moved.result.needsReconcile == false && moved.result.deadline == 2_000)
        #expect(moved.audit["deadline"] == .int64(2_000) && moved.audit["note"] == .string("n"))
        #expect(throws: RepairError.self) {
            _ = try RepairRules.retry(
                id: 9, RepairRules.RetriedRow(
                    stateName: "pending", generation: 1, attempts: 0, lastError: nil, deadline: nil, needsReconcile: false),
                attemptOutcomes: [], deadline: .keep, note: nil)
        }
    }

    @Test("an audit detail is a JSON object with sorted keys and no nulls")
    func auditJSON() {
        #expect(
            AuditValue.json(["b": .int(1), "a": .string("x\"y"), "c": .null, "d": .bool(true)])
                == #"{"a":"x\"y","b":1,"d":true}"#)
    }
}
