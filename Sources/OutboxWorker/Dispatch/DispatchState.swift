import OutboxModel
import Synchronization

/// What the dispatcher loop and the command tasks share: the breaker and the commands in
/// flight. Guarded by one mutex; held for microseconds, never across I/O.
final class DispatchState: Sendable {
    struct Value {
        var breaker: CircuitBreaker
        var inFlight: Set<Int64> = []
    }

    let value: Mutex<Value>

    init(breaker: CircuitBreaker) {
        value = Mutex(Value(breaker: breaker))
    }

    var breakerView: BreakerView { value.withLock { $0.breaker.view } }
    var breaker: CircuitBreaker { value.withLock { $0.breaker } }

    func record(_ signal: BreakerSignal?, now: EpochMillis) {
        value.withLock {
            if let signal {
                $0.breaker.record(signal, now: now, jitter: Double.random(in: 0..<1))
            } else {
                $0.breaker.probeFinishedWithoutSignal()
            }
        }
    }
}
