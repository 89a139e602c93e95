import OutboxModel

/// The simulated Paywall + terminals as a pure value-type state machine.
///
/// No I/O, no clock, no randomness: every method takes `now` and any generated id from the
/// caller, so a test drives it step by step. Time-driven transitions (a terminal taking a
/// command, finishing a sale) happen in ``advance(to:)``, which every command calls first, and
/// are stamped with the time they were due, not the time they were noticed.
///
/// Timeline of a sale on an online terminal (defaults in ``DeviceSettings``):
/// accepted → `SentToDevice` (2); after `takeDelayMillis` → `OnDevice` (3); after
/// `processingMillis` more → `Succeeded` (5) or `Failed` (6) by the terminal's outcome rule.
/// An offline terminal never takes anything.
public struct DeviceModel: Sendable {
    /// Device timing and defaults.
    public var settings: DeviceSettings
    /// Every payment, oldest first.
    public private(set) var payments: [SimulatedPayment] = []
    /// Terminals that have settings of their own, by terminal key (tag code, or lowercase id).
    public private(set) var terminals: [String: TerminalState] = [:]
    /// Every status change not yet collected by ``takeStatusChanges()``, in time order.
    public private(set) var pendingChanges: [StatusChange] = []
    private var indexById: [String: Int] = [:]
    private var indexByCode: [String: Int] = [:]
    /// Indices of payments that time may still change (so ``advance(to:)`` skips settled ones).
    private var live: Set<Int> = []
    private var now: EpochMillis = .min

    /// Creates an empty model.
    public init(settings: DeviceSettings = DeviceSettings()) {
        self.settings = settings
    }

    // MARK: Queries

    /// The payment with `paymentRequestId` (case-insensitive), as of the last ``advance(to:)``.
    public func payment(id paymentRequestId: String) -> SimulatedPayment? {
        indexById[paymentRequestId.lowercased()].map { payments[$0] }
    }

    /// The payment created with `merchantUniqueCode` (case-insensitive).
    public func payment(merchantUniqueCode: String) -> SimulatedPayment? {
        indexByCode[merchantUniqueCode.lowercased()].map { payments[$0] }
    }

    /// The settings in force for the terminal filed under `key`.
    public func terminalSettings(_ key: String) -> TerminalSettings {
        terminals[key]?.settings ?? TerminalSettings()
    }

    /// Returns and forgets the status changes recorded since the last call.
    public mutating func takeStatusChanges() -> [StatusChange] {
        defer { pendingChanges = [] }
        return pendingChanges
    }

    // MARK: Time

    /// Applies every transition due at or before `now`. Time never goes backwards: an earlier
    /// `now` than already seen is treated as the latest one.
    public mutating func advance(to now: EpochMillis) {
        self.now = max(self.now, now)
        var changes: [StatusChange] = []
        for index in live.sorted() {
            advancePayment(at: index, changes: &changes)
            let payment = payments[index]
            if payment.status.isFinal && (payment.cancel == nil || payment.cancel?.takenAt != nil) {
                live.remove(index)
            }
        }
        pendingChanges += changes.sorted { ($0.at, $0.paymentRequestId) < ($1.at, $1.paymentRequestId) }
    }

    private mutating func advancePayment(at index: Int, changes: inout [StatusChange]) {
        var payment = payments[index]
        let terminal = terminals[payment.order.terminalKey] ?? TerminalState()
        let online = !terminal.settings.offline
        let floor = terminal.onlineSince ?? .min
        if var cancel = payment.cancel, cancel.takenAt == nil, online {
            let due = max(cancel.acceptedAt + settings.takeDelayMillis, floor)
            if due <= now {
                cancel.takenAt = due
                payment.cancel = cancel
            }
        }
        if payment.status == .sentToDevice, online {
            let due = max(payment.createdAt + settings.takeDelayMillis, floor, payment.resumedAt ?? .min)
            if due <= now {
                payment.status = .onDevice
                payment.takenAt = due
                payment.modifiedAt = due
                changes.append(
                    StatusChange(
                        paymentRequestId: payment.paymentRequestId, from: .sentToDevice, to: .onDevice, at: due))
            }
        }
        if payment.status == .onDevice, let takenAt = payment.takenAt {
            let due = max(takenAt + settings.processingMillis, payment.resumedAt ?? .min)
            if due <= now {
                let rule = terminal.settings.outcome ?? settings.defaultOutcome
                let succeeded = rule.succeeds(amount: payment.order.amount)
                payment.status = succeeded ? .succeeded : .failed
                payment.message = succeeded ? nil : "Card declined (simulated)."
                payment.modifiedAt = due
                changes.append(
                    StatusChange(
                        paymentRequestId: payment.paymentRequestId, from: .onDevice, to: payment.status, at: due))
            }
        }
        payments[index] = payment
    }

    // MARK: Terminals

    /// Changes a terminal's settings at `now` (transitions due before are applied first).
    public mutating func setTerminal(_ key: String, _ newSettings: TerminalSettings, now: EpochMillis) {
        advance(to: now)
        var state = terminals[key] ?? TerminalState()
        if state.settings.offline && !newSettings.offline { state.onlineSince = self.now }
        state.settings = newSettings
        terminals[key] = state
    }

    /// Changes the device timing at `now` (transitions due before are applied first).
    public mutating func setSettings(_ newSettings: DeviceSettings, now: EpochMillis) {
        advance(to: now)
        settings = newSettings
    }

    // MARK: Commands

    /// A sale (async or sync). Refused with ``DeviceRefusal/duplicateMerchantUniqueCode`` when the
    /// MerchantUniqueCode was used before, whatever became of that payment.
    public mutating func sale(
        _ order: SaleOrder, paymentRequestId: String, activityId: String, terminalId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        let code = order.merchantUniqueCode.lowercased()
        guard indexByCode[code] == nil else { return .failure(.duplicateMerchantUniqueCode) }
        let id = paymentRequestId.lowercased()
        let payment = SimulatedPayment(
            paymentRequestId: id, activityId: activityId, activityTypeId: 1, order: order, terminalId: terminalId,
            status: .sentToDevice, createdAt: self.now,
            activities: [PaymentActivity(id: activityId, typeId: 1, command: "sale", at: self.now)]
        )
        payments.append(payment)
        indexById[id] = payments.count - 1
        indexByCode[code] = payments.count - 1
        live.insert(payments.count - 1)
        pendingChanges.append(StatusChange(paymentRequestId: id, from: .created, to: .sentToDevice, at: self.now))
        return .success(answer(payment))
    }

    /// A cancel (async or sync). Allowed while the sale is pending, on the device, or succeeded;
    /// the payment reports `Cancelled` at once and the terminal takes the cancel after the take
    /// delay (until then a cancel rollback can revoke it).
    public mutating func cancel(
        paymentRequestId: String, activityId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        switch payment.status {
        case .cancelled: return .failure(.alreadyCancelled)
        case .created, .failed, .rolledBack: return .failure(.notConvenient(payment.status))
        case .sentToDevice, .onDevice, .succeeded: break
        }
        let before = payment.status
        payment.cancel = CancelCommand(activityId: activityId, acceptedAt: self.now, statusBefore: before)
        record(&payment, activityId: activityId, typeId: 2, command: "cancel", status: .cancelled)
        payments[index] = payment
        live.insert(index)
        pendingChanges.append(
            StatusChange(paymentRequestId: payment.paymentRequestId, from: before, to: .cancelled, at: self.now))
        return .success(answer(payment))
    }

    /// A sync sale rollback: revokes a sale the terminal has not taken, at least 5 s after it was
    /// accepted. Async sales have no rollback.
    public mutating func rollbackSale(
        paymentRequestId: String, activityId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        guard payment.order.channel == .sync else { return .failure(.notConvenient(payment.status)) }
        switch payment.status {
        case .rolledBack: return .failure(.alreadyRolledBack)
        case .cancelled: return .failure(.alreadyCancelled)
        default: break
        }
        let elapsed = self.now - payment.createdAt
        if elapsed < DeviceSettings.rollbackEmbargoMillis {
            return .failure(.rollbackTooEarly(remainingMillis: DeviceSettings.rollbackEmbargoMillis - elapsed))
        }
        guard payment.status == .sentToDevice else { return .failure(.alreadyOnDevice) }
        record(&payment, activityId: activityId, typeId: 1, command: "sale_rollback", status: .rolledBack)
        payments[index] = payment
        pendingChanges.append(
            StatusChange(paymentRequestId: payment.paymentRequestId, from: .sentToDevice, to: .rolledBack, at: self.now)
        )
        return .success(answer(payment))
    }

    /// A sync cancel rollback: revokes a cancel the terminal has not taken, at least 5 s after
    /// the cancel was accepted; the payment returns to its status before the cancel.
    public mutating func rollbackCancel(
        paymentRequestId: String, activityId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        guard let cancel = payment.cancel, payment.status == .cancelled else { return .failure(.noCancelToRollBack) }
        let elapsed = self.now - cancel.acceptedAt
        if elapsed < DeviceSettings.rollbackEmbargoMillis {
            return .failure(.rollbackTooEarly(remainingMillis: DeviceSettings.rollbackEmbargoMillis - elapsed))
        }
        guard cancel.takenAt == nil else { return .failure(.alreadyOnDevice) }
        payment.cancel = nil
        payment.resumedAt = self.now
        record(&payment, activityId: activityId, typeId: 2, command: "cancel_rollback", status: cancel.statusBefore)
        payments[index] = payment
        live.insert(index)
        pendingChanges.append(
            StatusChange(
                paymentRequestId: payment.paymentRequestId, from: .cancelled, to: cancel.statusBefore, at: self.now))
        return .success(answer(payment))
    }

    private func record(
        _ payment: inout SimulatedPayment, activityId: String, typeId: Int, command: String,
        status: SimulatedPaymentStatus
    ) {
        payment.activityId = activityId
        payment.activityTypeId = typeId
        payment.status = status
        payment.modifiedAt = now
        payment.activities.append(PaymentActivity(id: activityId, typeId: typeId, command: command, at: now))
    }

    private func answer(_ payment: SimulatedPayment) -> CommandAnswer {
        CommandAnswer(
            paymentRequestId: payment.paymentRequestId, activityId: payment.activityId,
            activityTypeId: payment.activityTypeId, status: payment.status
        )
    }
}
