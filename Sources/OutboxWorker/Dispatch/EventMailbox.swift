import Synchronization

/// The dispatcher's events, taken all at once: a burst of completions and wake-ups (a drain
/// finishes several commands between two turns of the loop; one commit wakes the change watcher
/// several times) becomes one turn and one claim, not one per event.
final class EventMailbox<Event: Sendable>: Sendable {
    private struct Box {
        var events: [Event] = []
        var waiter: CheckedContinuation<[Event], Never>?
        var finished = false
    }

    private let box = Mutex(Box())

    init() {}

    /// Adds `event`; ignored once ``finish()`` was called.
    func yield(_ event: Event) {
        let waiter = box.withLock { box -> CheckedContinuation<[Event], Never>? in
            guard !box.finished else { return nil }
            guard let waiter = box.waiter else {
                box.events.append(event)
                return nil
            }
            box.waiter = nil
            return waiter
        }
        waiter?.resume(returning: [event])
    }

    /// Every event yielded since the last call, in order, waiting for one if there is none.
    /// Empty once finished or when the waiting task is cancelled.
    func next() async -> [Event] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<[Event], Never>) in
                let now = box.withLock { box -> [Event]? in
                    if !box.events.isEmpty || box.finished || Task.isCancelled {
                        defer { box.events.removeAll(keepingCapacity: true) }
                        return box.finished || Task.isCancelled ? [] : box.events
                    }
                    box.waiter = waiter
                    return nil
                }
                if let now { waiter.resume(returning: now) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the mailbox: a waiting ``next()`` returns empty, later events are dropped.
    func finish() {
        let waiter = box.withLock { box -> CheckedContinuation<[Event], Never>? in
            box.finished = true
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume(returning: [])
    }
}
