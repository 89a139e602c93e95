import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag a loop polls, so a long-running command (`inspect list
/// --follow`) finishes its current step and exits 0 instead of dying mid-line.
final class StopSignals: @unchecked Sendable {
    private let flag = Atomic<Bool>(false)
    /// Kept alive while installed (a cancelled or released source stops delivering).
    private var sources: [any DispatchSourceSignal] = []

    /// Traps `signals` (default SIGINT and SIGTERM) from now on.
    static func install(_ signals: [Int32] = [SIGINT, SIGTERM]) -> StopSignals {
        let stop = StopSignals()
        for number in signals {
            // The default action would end the process at once; the source sees it instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.flag.store(true, ordering: .relaxed) }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    /// Whether a signal arrived.
    var received: Bool { flag.load(ordering: .relaxed) }
}
