import OutboxModel

extension MemoryWorkerStore {
    /// Each group all-or-nothing (applied to a copy of the tables, kept only when every update's
    /// precondition held), all groups under one lock.
    public func recordEach(_ groups: [(updates: [CommandUpdate], now: EpochMillis)], worker: String?) async throws
        -> [Bool]
    {
        if let beforeRecord { await beforeRecord(groups.flatMap { $0.updates.map(\.commandID) }) }
        return tables.withLock { t in
            groups.map { group in
                var draft = t
                guard Self.record(group.updates, worker: worker, now: group.now, &draft) else { return false }
                t = draft
                return true
            }
        }
    }

    /// Applies `group` to `t`; false at the first update whose precondition fails (the caller
    /// throws `t` away then).
    static func record(_ group: [CommandUpdate], worker: String?, now: EpochMillis, _ t: inout MemoryTables) -> Bool {
        for update in group {
            guard apply(update, worker: worker, now: now, &t) else { return false }
        }
        return true
    }

    private static func holds(_ precondition: CommandUpdate.Precondition, _ command: OutboxCommand) -> Bool {
        let pendingUnleased = command.state == .pending && command.leaseOwner == nil
        switch precondition {
        case .leasedBy(let owner):
            return command.state == .inFlight && command.leaseOwner == owner
        case .pendingUnleased:
            return pendingUnleased
        case .neverSent:
            return pendingUnleased && !command.needsReconcile && command.paywallPaymentRequestId == nil
        case .pendingOrLeasedBy(let owner):
            return pendingUnleased || (command.state == .inFlight && command.leaseOwner == owner)
        }
    }

    private static func apply(_ update: CommandUpdate, worker: String?, now: EpochMillis, _ t: inout MemoryTables)
        -> Bool
    {
        guard var command = t.commands[update.commandID], holds(update.precondition, command) else { return false }
        command.attempts += update.countsAsAttempt ? 1 : 0
        command.paywallPaymentRequestId = update.paywallPaymentRequestId ?? command.paywallPaymentRequestId
        command.acceptedAt = update.acceptedAt ?? command.acceptedAt
        command.leaseOwner = nil
        command.leaseExpiresAt = nil
        command.updatedAt = now

        if let attempt = update.attempt {
            // A send completes the row its mark opened; anything else (or a send with no open row) is new.
            let open = t.attempts.indices.filter {
                t.attempts[$0].outboxID == update.commandID && t.attempts[$0].record.request == .send
                    && t.attempts[$0].record.outcome == "sending" && t.attempts[$0].worker == worker
            }
            if attempt.request == .send, !open.isEmpty {
                for index in open { t.attempts[index].record = attempt }
            } else {
                t.attempts.append(
                    AttemptRow(
                        id: t.nextAttemptID, outboxID: update.commandID, generation: command.generation, worker: worker,
                        record: attempt))
                t.nextAttemptID += 1
            }
        }

        switch update.next {
        case .reschedule(let dueAt, let needsReconcile, let lastError):
            command.state = .pending
            command.dueAt = dueAt
            command.needsReconcile = needsReconcile
            command.lastError = lastError ?? command.lastError
        case .finish(let outcome):
            // inbox_one_outcome: one outcome row per command generation.
            if t.inbox.contains(where: {
                $0.outboxID == command.id && $0.generation == command.generation && $0.event == "outcome"
            }) {
                return false
            }
            command.state = outcome.outcome.state
            command.finishedAt = now
            command.needsReconcile = false
            if outcome.outcome != .succeeded {
                command.lastError = outcome.message ?? outcome.reason?.rawValue ?? command.lastError
            }
            let finished = command
            t.appendInbox { id in
                InboxRow(
                    id: id, command: finished, generation: finished.generation, event: "outcome", outcome: outcome,
                    paymentStatus: nil, createdAt: now)
            }
            if let follow = update.follow {
                startFollow(follow, command: finished, now: now, &t)
            }
        }
        t.commands[command.id] = command
        return true
    }

    // MARK: What workers share

    public func setHold(credentials: String, until: EpochMillis, reason: String, by worker: String, now: EpochMillis)
        async throws
    {
        tables.withLock { t in
            if let held = t.holds[credentials], held.until >= until { return }
            t.holds[credentials] = .init(until: until, reason: reason, setAt: now, setBy: worker)
        }
    }

    public func sharedDispatch(now: EpochMillis, maxHoldMillis: Int64) async throws
        -> (holds: [String: EpochMillis], pause: PublishedPause?)
    {
        tables.withLock { t in
            let holds = t.holds.filter { $0.value.until > now }.mapValues { min($0.until, now + maxHoldMillis) }
            return (holds, t.pause?.pause)
        }
    }

    public func publishPause(_ pause: PublishedPause, by worker: String, now: EpochMillis) async throws {
        tables.withLock { t in
            var published = pause
            published.setBy = worker
            if let earlier = t.pause { published.since = min(earlier.pause.since, pause.since) }
            t.pause = .init(pause: published, setAt: now)
        }
    }

    public func clearPause(answeredAt: EpochMillis) async throws -> Bool {
        tables.withLock { t in
            guard let pause = t.pause, pause.setAt <= answeredAt else { return false }
            t.pause = nil
            return true
        }
    }

    public func shiftSchedules(backBy millis: Int64, now: EpochMillis, by worker: String?) async throws -> Int {
        guard millis > 0 else { return 0 }
        return tables.withLock { t in
            // Several workers notice the same step: the first one applies it.
            if t.clockShifts.contains(where: { abs($0.appliedAt - now) <= 10_000 && abs($0.stepMillis - millis) < 1_000 }) {
                return 0
            }
            t.clockShifts.append((millis, now))
            t.clockShifts.removeAll { $0.appliedAt < now - 86_400_000 }
            var moved = 0
            for (id, command) in t.commands where command.state == .pending && command.dueAt > now {
                t.commands[id]?.dueAt = max(now, command.dueAt - millis)
                moved += 1
            }
            for (name, hold) in t.holds where hold.until > now { t.holds[name]?.until = max(now, hold.until - millis) }
            if let pause = t.pause, pause.pause.probeAt > now {
                t.pause?.pause.probeAt = max(now, pause.pause.probeAt - millis)
            }
            for (id, row) in t.follows where row.follow.state == .following {
                t.follows[id]?.follow.nextPollAt = max(now, row.follow.nextPollAt - millis)
                t.follows[id]?.follow.horizonAt = row.follow.horizonAt - millis
            }
            return moved
        }
    }

    public func heartbeat(worker: String, _ beat: WorkerHeartbeat, now: EpochMillis) async throws {
        tables.withLock { t in
            var beat = beat
            if let earlier = t.heartbeats[worker]?.beat {
                // As the SQLite upsert: measurements not taken this beat keep their last value.
                beat.startedAt = earlier.startedAt
                beat.checkpointAt = beat.checkpointAt ?? earlier.checkpointAt
                beat.walPages = beat.walPages ?? earlier.walPages
                beat.walBytes = beat.walBytes ?? earlier.walBytes
                beat.databaseBytes = beat.databaseBytes ?? earlier.databaseBytes
            }
            t.heartbeats[worker] = (beat, now)
        }
    }

    // MARK: Monitoring

    public func queueCensus(now: EpochMillis) async throws -> QueueCensus {
        tables.withLock { t in
            var census = QueueCensus(groups: [], oldestDueSince: nil, needsReconcile: 0)
            var counts: [CommandState: [String: Int]] = [:]
            for command in t.commands.values {
                switch command.state {
                case .pending:
                    census.needsReconcile += command.needsReconcile ? 1 : 0
                    if command.dueAt <= now {
                        let since = max(command.dueAt, command.createdAt)
                        census.oldestDueSince = min(census.oldestDueSince ?? since, since)
                    }
                case .inFlight:
                    census.needsReconcile += command.needsReconcile ? 1 : 0
                case .failed, .expired, .dead:
                    break
                default:
                    continue
                }
                counts[command.state, default: [:]][command.kindName, default: 0] += 1
            }
            for state in QueueCensus.states {
                for (kind, count) in (counts[state] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    census.groups.append(.init(state: state, kind: kind, count: count))
                }
            }
            return census
        }
    }

    public func readinessFacts(worker: String) async throws -> ReadinessFacts {
        tables.withLock { t in
            let beat = t.heartbeats[worker]
            return ReadinessFacts(
                schemaVersion: OutboxStore.latestSchemaVersion, heartbeatAt: beat?.at, heartbeatState: beat?.beat.state)
        }
    }
}
