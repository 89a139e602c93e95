import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// systemd's `sd_notify` protocol, without libsystemd: datagrams such as `READY=1` sent to the
/// unix socket named by `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). With
/// `Type=notify` systemd counts the service as started on `READY=1`, as stopping on `STOPPING=1`,
/// and with `WatchdogSec=` restarts it when `WATCHDOG=1` does not arrive in time
/// (`WATCHDOG_USEC`, for this process when `WATCHDOG_PID` is unset or names it).
///
/// Sending never fails the worker: a datagram systemd does not take is dropped (the result says
/// so, for tests). `READY=1` and `STOPPING=1` are each sent at most once.
public final class SystemdNotifier: @unchecked Sendable {
    /// The socket as named in `NOTIFY_SOCKET`.
    public let socketName: String
    /// Half of `WATCHDOG_USEC` (systemd's advice: ping at half the timeout), or nil when the
    /// watchdog is off for this process.
    public let watchdogInterval: Duration?

    /// ``watchdogInterval`` in whole milliseconds, for messages.
    public var watchdogIntervalMillis: Int64? {
        watchdogInterval.map { $0.components.seconds * 1_000 + $0.components.attoseconds / 1_000_000_000_000_000 }
    }

    private let descriptor: Int32
    private var address = sockaddr_un()
    private let addressLength: socklen_t
    private let lock = NSLock()
    private var sentOnce: Set<String> = []

    /// The notifier `environment` asks for, or nil when `NOTIFY_SOCKET` is unset, empty or not a
    /// usable unix socket name (too long, not absolute and not abstract), or a socket cannot be made.
    public convenience init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let name = environment["NOTIFY_SOCKET"], !name.isEmpty else { return nil }
        var interval: Duration?
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 {
            let forUs = environment["WATCHDOG_PID"].map { Int32($0) == pid } ?? true
            if forUs { interval = .microseconds(Int64(clamping: usec / 2)) }
        }
        self.init(socketName: name, watchdogInterval: interval)
    }

    /// A notifier sending to `socketName` (`/run/systemd/notify` or `@abstract-name`).
    public init?(socketName: String, watchdogInterval: Duration?) {
        var bytes = Array(socketName.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        guard abstract || bytes.first == UInt8(ascii: "/"), !bytes.contains(0) else { return nil }
        if abstract { bytes[0] = 0 }
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its terminating NUL; an abstract name is counted exactly.
        guard bytes.count + (abstract ? 0 : 1) <= capacity else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        #if canImport(Glibc)
            let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
            let type = SOCK_DGRAM
        #endif
        let descriptor = socket(AF_UNIX, type, 0)
        guard descriptor >= 0 else { return nil }
        self.socketName = socketName
        self.watchdogInterval = watchdogInterval
        self.descriptor = descriptor
        self.address = address
        self.addressLength = socklen_t(
            MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    deinit { close(descriptor) }

    /// Sends `state` (e.g. `WATCHDOG=1`); true when the socket took it.
    @discardableResult
    public func send(_ state: String) -> Bool {
        var message = Array(state.utf8)
        return lock.withLock {
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    #if canImport(Glibc)
                        let flags = Int32(MSG_NOSIGNAL)
                    #else
                        let flags: Int32 = 0
                    #endif
                    return sendto(descriptor, &message, message.count, flags, socketAddress, addressLength)
                        == message.count
                }
            }
        }
    }

    /// Sends `state` unless it was sent before (`READY=1`, `STOPPING=1`).
    @discardableResult
    public func sendOnce(_ state: String) -> Bool {
        let first = lock.withLock { sentOnce.insert(state).inserted }
        return first ? send(state) : false
    }

    /// The worker's hooks: `READY=1` when dispatch starts, `STOPPING=1` when shutdown begins,
    /// `WATCHDOG=1` from the dispatch loop at ``watchdogInterval``.
    public var hooks: WorkerLifecycleHooks {
        WorkerLifecycleHooks(
            ready: { self.sendOnce("READY=1") }, stopping: { self.sendOnce("STOPPING=1") },
            watchdog: watchdogInterval.map { interval in
                WorkerLifecycleHooks.Watchdog(interval: interval) { self.send("WATCHDOG=1") }
            })
    }
}
