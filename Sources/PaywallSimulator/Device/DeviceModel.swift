import OutboxModel
import PaywallClient

/// The simulated Paywall + terminals as a pure value-type state machine, speaking Paywall's status
/// table (S1, ``PaymentStatus``) per activity.
///
/// No I/O, no clock, no randomness: every method takes `now` and any generated id from the
/// caller, so a test drives it step by step. Time-driven transitions (a terminal taking a
/// command, finishing it) happen in ``advance(to:)``, which every command calls first, and
/// are stamped with the time they were due, not the time they were noticed.
///
/// A sale on an online terminal (defaults in ``DeviceSettings``): accepted → 2 SentToDevice;
/// after `takeDelayMillis` → 11 TakenByDevice; after `processingMillis` more → 4 Successful or
/// 5 Failed by the terminal's outcome rule. An offline terminal takes nothing (the sale stays 2).
/// A cancel is a device command of its own: 2 → 11 → 4 on the same timing; while it is open the
/// sale's own timeline is paused; when it completes, a sale that was not final becomes 5 (not
/// paid). A sale rollback (sync only) turns a not-taken sale into 12; a cancel rollback turns a
/// not-taken cancel into 12 and the sale resumes. Both are refused in the first 5 s after the
/// command they revoke, and once the device has taken it.
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
            if payments[index].isSettled { live.remove(index) }
        }
        pendingChanges += changes.sorted { ($0.at, $0.paymentRequestId) < ($1.at, $1.paymentRequestId) }
    }

    private mutating func advancePayment(at index: Int, changes: inout [StatusChange]) {
        var payment = payments[index]
        let terminal = terminals[payment.order.terminalKey] ?? TerminalState()
        let online = !terminal.settings.offline
        let floor = terminal.onlineSince ?? .min
        func move(_ type: PaymentType, _ id: String, from: PaymentStatus, to: PaymentStatus, at: EpochMillis) {
            payment.modifiedAt = at
            payment.activities.append(PaymentActivity(id: id, type: type, status: to, at: at))
            changes.append(
                StatusChange(
                    paymentRequestId: payment.paymentRequestId, activityId: id, activity: type, from: from, to: to,
                    at: at))
        }
        if var cancel = payment.cancel, cancel.isOpen {
            if cancel.status == .sentToDevice, online {
                let due = max(cancel.acceptedAt + settings.takeDelayMillis, floor)
                if due <= now {
                    cancel.status = .takenByDevice
                    cancel.takenAt = due
                    move(.cancel, cancel.activityId, from: .sentToDevice, to: .takenByDevice, at: due)
                }
            }
            if cancel.status == .takenByDevice, let takenAt = cancel.takenAt {
                let due = takenAt + settings.processingMillis
                if due <= now {
                    cancel.status = .successful
                    move(.cancel, cancel.activityId, from: .takenByDevice, to: .successful, at: due)
                    if !payment.status.isFinal {
                        // The device cancelled a sale it had not finished: not paid.
                        let before = payment.status
                        payment.status = .failed
                        payment.message = "Cancelled before completion (simulated)."
                        move(.sale, payment.saleActivityId, from: before, to: .failed, at: due)
                    }
                }
            }
            payment.cancel = cancel
            payments[index] = payment
            return  // the sale's own timeline is paused while a cancel is open
        }
        if payment.status == .sentToDevice, online {
            let due = max(payment.createdAt + settings.takeDelayMillis, floor, payment.resumedAt ?? .min)
            if due <= now {
                payment.status = .takenByDevice
                payment.takenAt = due
                move(.sale, payment.saleActivityId, from: .sentToDevice, to: .takenByDevice, at: due)
            }
        }
        if payment.status == .takenByDevice, let takenAt = payment.takenAt {
            let due = max(takenAt + settings.processingMillis, payment.resumedAt ?? .min)
            if due <= now {
                let rule = terminal.settings.outcome ?? settings.defaultOutcome
                let succeeded = rule.succeeds(amount: payment.order.amount)
                payment.status = succeeded ? .successful : .failed
                payment.message = succeeded ? nil : "Card declined (simulated)."
                move(.sale, payment.saleActivityId, from: .takenByDevice, to: payment.status, at: due)
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
            paymentRequestId: id, saleActivityId: activityId, order: order, terminalId: terminalId,
            status: .sentToDevice, createdAt: self.now,
            activities: [
                PaymentActivity(id: activityId, type: .sale, status: .created, at: self.now),
                PaymentActivity(id: activityId, type: .sale, status: .sentToDevice, at: self.now),
            ])
        payments.append(payment)
        indexById[id] = payments.count - 1
        indexByCode[code] = payments.count - 1
        live.insert(payments.count - 1)
        pendingChanges.append(
            StatusChange(
                paymentRequestId: id, activityId: activityId, activity: .sale, from: .created, to: .sentToDevice,
                at: self.now))
        return .success(
            CommandAnswer(paymentRequestId: id, activityId: activityId, activityType: .sale, status: .sentToDevice))
    }

    /// A cancel (async or sync): a device command of its own (2 → 11 → 4). Allowed while the sale
    /// is not taken, on the device, or successful, and no other cancel is open or done.
    public mutating func cancel(
        paymentRequestId: String, activityId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        if let cancel = payment.cancel, cancel.isOpen { return .failure(.alreadyCancelled) }
        switch payment.status.meaning {
        case .notTaken, .onDevice, .successful: break
        case .failed, .rolledBack, .unknown: return .failure(.notConvenient(payment.status))
        }
        payment.cancel = CancelCommand(activityId: activityId, acceptedAt: self.now)
        payment.modifiedAt = self.now
        payment.activities.append(PaymentActivity(id: activityId, type: .cancel, status: .sentToDevice, at: self.now))
        payments[index] = payment
        live.insert(index)
        pendingChanges.append(
            StatusChange(
                paymentRequestId: payment.paymentRequestId, activityId: activityId, activity: .cancel, from: nil,
                to: .sentToDevice, at: self.now))
        return .success(
            CommandAnswer(
                paymentRequestId: payment.paymentRequestId, activityId: activityId, activityType: .cancel,
                status: .sentToDevice))
    }

    /// A sync sale rollback: revokes a sale the terminal has not taken, at least 5 s after it was
    /// accepted. Async sales have no rollback.
    public mutating func rollbackSale(
        paymentRequestId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        guard payment.order.channel == .sync else { return .failure(.notConvenient(payment.status)) }
        if let cancel = payment.cancel, cancel.isOpen { return .failure(.notConvenient(payment.status)) }
        let elapsed = self.now - payment.createdAt
        if elapsed < DeviceSettings.rollbackEmbargoMillis {
            return .failure(.rollbackTooEarly(remainingMillis: DeviceSettings.rollbackEmbargoMillis - elapsed))
        }
        guard payment.status.meaning == .notTaken else { return .failure(.alreadyOnDevice(payment.status)) }
        let before = payment.status
        payment.status = .rolledBack
        payment.modifiedAt = self.now
        payment.activities.append(
            PaymentActivity(id: payment.saleActivityId, type: .sale, status: .rolledBack, at: self.now))
        payments[index] = payment
        pendingChanges.append(
            StatusChange(
                paymentRequestId: payment.paymentRequestId, activityId: payment.saleActivityId, activity: .sale,
                from: before, to: .rolledBack, at: self.now))
        return .success(
            CommandAnswer(
                paymentRequestId: payment.paymentRequestId, activityId: payment.saleActivityId, activityType: .sale,
                status: .rolledBack))
    }

    /// A sync cancel rollback: revokes a cancel the terminal has not taken, at least 5 s after
    /// the cancel was accepted; the sale's timeline resumes.
    public mutating func rollbackCancel(
        paymentRequestId: String, now: EpochMillis
    ) -> Result<CommandAnswer, DeviceRefusal> {
        advance(to: now)
        guard let index = indexById[paymentRequestId.lowercased()] else { return .failure(.paymentNotFound) }
        var payment = payments[index]
        guard var cancel = payment.cancel, cancel.isOpen else { return .failure(.noCancelToRollBack) }
        let elapsed = self.now - cancel.acceptedAt
        if elapsed < DeviceSettings.rollbackEmbargoMillis {
            return .failure(.rollbackTooEarly(remainingMillis: DeviceSettings.rollbackEmbargoMillis - elapsed))
        }
        guard cancel.status.meaning == .notTaken else { return .failure(.alreadyOnDevice(cancel.status)) }
        let before = cancel.status
        cancel.status = .rolledBack
        payment.cancel = cancel
        payment.resumedAt = self.now
        payment.modifiedAt = self.now
        payment.activities.append(
            PaymentActivity(id: cancel.activityId, type: .cancel, status: .rolledBack, at: self.now))
        payments[index] = payment
        live.insert(index)
        pendingChanges.append(
            StatusChange(
                paymentRequestId: payment.paymentRequestId, activityId: cancel.activityId, activity: .cancel,
                from: before, to: .rolledBack, at: self.now))
        return .success(
            CommandAnswer(
                paymentRequestId: payment.paymentRequestId, activityId: cancel.activityId, activityType: .cancel,
                status: .rolledBack))
    }
}
