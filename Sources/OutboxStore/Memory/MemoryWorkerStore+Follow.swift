import OutboxModel

/// Following payments in memory: the rules of ``OutboxStore``'s `payment_follow` SQL, row for row.
extension MemoryWorkerStore {
    /// Starts following an activity in the record that finishes its command: once per command
    /// generation, and once per (command, payment, activity) across generations.
    static func startFollow(_ start: FollowStart, command: OutboxCommand, now: EpochMillis, _ t: inout MemoryTables) {
        let taken = t.follows.values.contains { row in
            row.follow.outboxId == command.id
                && (row.follow.generation == command.generation
                    || (row.follow.paymentRequestId == start.paymentRequestId && row.follow.activity == start.activity))
        }
        guard !taken else { return }
        let id = t.nextFollowID
        t.nextFollowID += 1
        t.follows[id] = .init(
            follow: PaymentFollow(
                id: id, outboxId: command.id, generation: command.generation, commandKey: command.commandKey,
                kindName: command.kindName, paymentRequestId: start.paymentRequestId, activity: start.activity,
                activityId: start.activityId, startedAt: now, horizonAt: start.horizonAt, nextPollAt: start.firstPollAt,
                intervalMillis: start.intervalMillis))
    }

    public func claimDueFollows(now: EpochMillis, limit: Int, leaseMillis: Int64) async throws -> [PaymentFollow] {
        guard limit > 0 else { return [] }
        return tables.withLock { t in
            let due = t.follows.values.map(\.follow)
                .filter { $0.state == .following && $0.nextPollAt <= now }
                .sorted { ($0.nextPollAt, $0.id) < ($1.nextPollAt, $1.id) }
                .prefix(limit)
            // Returned with their next read already moved: a worker that dies holding one only delays it.
            return due.map { follow in
                t.follows[follow.id]?.follow.nextPollAt = now + leaseMillis
                return t.follows[follow.id]?.follow ?? follow
            }
        }
    }

    public func recordFollow(_ update: FollowUpdate, now: EpochMillis) async throws -> [PaymentStatusEvent] {
        tables.withLock { t in
            guard let follow = t.follows[update.followId]?.follow else { return [] }
            var written: [PaymentStatusEvent] = []
            var stateAfter = follow.state
            // An activity id another follow of the payment already holds is that one's.
            let learnedElsewhere =
                follow.activityId == nil
                && update.activityId.map { learned in
                    t.follows.values.contains {
                        $0.follow.paymentRequestId == follow.paymentRequestId && $0.follow.activity == follow.activity
                            && $0.follow.activityId == learned && $0.follow.id != follow.id
                    }
                } ?? false
            // A callback brought the read forward while this one was out: keep that.
            let hinted = FollowRecordRule.hinted(update, follow: follow)
            let events = FollowRecordRule.events(update, hinted: hinted)
            if stateAfter != .final && !learnedElsewhere {
                written = Self.writeStatuses(events, of: follow, now: now, &t)
                stateAfter = t.follows[follow.id]?.follow.state ?? stateAfter
            }
            let (state, nextPollAt, interval) = FollowRecordRule.next(
                update, follow: follow, state: stateAfter, hinted: hinted, learnedElsewhere: learnedElsewhere, now: now)
            guard var row = t.follows[follow.id] else { return written }
            row.follow.state = state
            row.follow.nextPollAt = nextPollAt
            row.follow.intervalMillis = interval
            row.follow.polls += update.polled ? 1 : 0
            row.follow.activityId = row.follow.activityId ?? (learnedElsewhere ? nil : update.activityId)
            row.lastError = update.lastError
            row.finishedAt = state == .following ? nil : (row.finishedAt ?? now)
            t.follows[follow.id] = row
            return written
        }
    }

    public func recordCallbackStatus(
        paymentRequestId: String, activity: FollowedActivity, activityId: String?, event: PaymentStatusEvent,
        pollBy: EpochMillis, now: EpochMillis
    ) async throws -> CallbackRecording {
        tables.withLock { t in
            let payment = paymentRequestId.lowercased()
            let candidates = t.follows.values.map(\.follow).filter {
                $0.paymentRequestId.lowercased() == payment && $0.activity == activity
                    && ($0.activityId == nil || activityId == nil || $0.activityId?.lowercased() == activityId?.lowercased())
            }
            // SQLite's order: the follow with this activity id, then one whose activity id is still
            // unknown, then the others; the newest first within each.
            func rank(_ follow: PaymentFollow) -> Int {
                guard let known = follow.activityId?.lowercased() else { return 1 }
                return known == activityId?.lowercased() ? 2 : 0
            }
            guard let follow = candidates.max(by: { (rank($0), $0.id) < (rank($1), $1.id) }) else {
                return .unknownPayment
            }
            guard follow.state != .final else { return .duplicate }
            if event.isFinal {
                // Never final from a callback alone (its Hash does not cover the status): read now.
                t.follows[follow.id]?.follow.state = .following
                t.follows[follow.id]?.follow.nextPollAt = min(follow.nextPollAt, pollBy)
                t.follows[follow.id]?.finishedAt = nil
                return .confirming
            }
            let written = Self.writeStatuses([event], of: follow, now: now, &t)
            if !written.isEmpty, t.follows[follow.id]?.follow.state == .following {
                t.follows[follow.id]?.follow.nextPollAt = min(follow.nextPollAt, pollBy)
            }
            return written.isEmpty ? .duplicate : .recorded
        }
    }

    /// One inbox row per distinct status, none behind the progress already written (unless
    /// final), nothing after a final one; the horizon's unresolved row once.
    static func writeStatuses(
        _ events: [PaymentStatusEvent], of follow: PaymentFollow, now: EpochMillis, _ t: inout MemoryTables
    ) -> [PaymentStatusEvent] {
        guard let command = t.commands[follow.outboxId] else { return [] }
        var progress = follow.progress
        var written: [PaymentStatusEvent] = []
        var isFinal = t.follows[follow.id]?.follow.state == .final
        let mine: (InboxRow) -> Bool = {
            $0.outboxID == follow.outboxId && $0.generation == follow.generation && $0.event == "payment_status"
        }
        for event in events {
            if isFinal { break }
            if event.statusId == nil {
                if t.inbox.contains(where: { mine($0) && $0.paymentStatus?.source == .horizon }) { continue }
            } else if !event.isFinal && event.progress < progress {
                continue
            }
            // inbox_one_status and inbox_one_final_status: the INSERT's ON CONFLICT DO NOTHING.
            if let statusId = event.statusId,
                t.inbox.contains(where: { mine($0) && $0.paymentStatus?.statusId == statusId })
            {
                continue
            }
            if event.isFinal, t.inbox.contains(where: { mine($0) && $0.paymentStatus?.isFinal == true }) { continue }
            let status = PaymentStatusRow(
                statusId: event.statusId, statusName: event.statusName, activity: follow.activity, source: event.source,
                isFinal: event.isFinal, reason: event.statusId == nil ? .unresolved : nil,
                message: event.message, paymentRequestId: follow.paymentRequestId,
                paymentRequestActivityId: event.activityId ?? follow.activityId)
            t.appendInbox { id in
                InboxRow(
                    id: id, command: command, generation: follow.generation, event: "payment_status", outcome: nil,
                    paymentStatus: status, createdAt: now)
            }
            written.append(event)
            guard let statusId = event.statusId else { continue }
            progress = max(progress, event.progress)
            t.follows[follow.id]?.follow.lastStatusId = statusId
            t.follows[follow.id]?.follow.progress = progress
            if event.isFinal {
                t.follows[follow.id]?.follow.state = .final
                let finishedAt = t.follows[follow.id]?.finishedAt ?? now
                t.follows[follow.id]?.finishedAt = finishedAt
            }
            isFinal = event.isFinal
        }
        return written
    }

    public func pollSoon(paymentRequestId: String, activity: FollowedActivity, at: EpochMillis) async throws {
        tables.withLock { t in
            for (id, row) in t.follows
            where row.follow.paymentRequestId.lowercased() == paymentRequestId.lowercased() && row.follow.activity == activity
                && row.follow.state == .following
            {
                t.follows[id]?.follow.nextPollAt = min(row.follow.nextPollAt, at)
            }
        }
    }

    public func followSummary() async throws -> FollowSummary {
        tables.withLock { t in
            let rows = t.follows.values.map(\.follow)
            let following = rows.filter { $0.state == .following }
            return FollowSummary(
                following: following.count, oldestStartedAt: following.map(\.startedAt).min(),
                unresolved: rows.filter { $0.state == .unresolved }.count, reads: rows.reduce(0) { $0 + $1.polls })
        }
    }

    /// The followed activities of one command, newest generation first.
    public func follows(outboxId: Int64) -> [PaymentFollow] {
        tables.withLock { t in
            t.follows.values.map(\.follow).filter { $0.outboxId == outboxId }.sorted { $0.generation > $1.generation }
        }
    }
}
