import Foundation
import OutboxModel
import OutboxStore
import OutboxTestSupport
import OutboxWorker
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fake systemd: a unix datagram socket the test binds (a path, or an abstract name), read by
/// a thread of its own; every datagram is kept in order of arrival.
final class NotifyListener: @unchecked Sendable {
    /// What to put in NOTIFY_SOCKET.
    let name: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var closed = false

    init(abstract: Bool) throws {
        let unique = UUID().uuidString.prefix(8)
        name = abstract ? "@outbox-test-notify-\(unique)" : "/tmp/outbox-notify-\(unique).sock"
        #if canImport(Glibc)
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            descriptor = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        // A receive timeout, so the reader thread notices close() within a moment.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while !lock.withLock({ closed }) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 {
                    let text = String(decoding: buffer[0..<count], as: UTF8.self)
                    lock.withLock { received.append(text) }
                }
            }
            close(descriptor)
            if !abstract { unlink(name) }
        }
    }

    /// Every datagram so far.
    var messages: [String] { lock.withLock { received } }

    /// Waits until `condition` holds for the datagrams so far (true), or `timeout` passes
    /// (false). The deadline is generous: it bounds a failure, not the normal case.
    func wait(timeout: Duration = .seconds(60), until condition: ([String]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(messages) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(messages)
    }

    func stop() { lock.withLock { closed = true } }
}

@Suite(.serialized) struct SystemdNotifyTests {
    @Test func theNotifierReadsSystemdsEnvironment() throws {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
        let plain = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"]))
        #expect(plain.watchdogInterval == nil)
        let watched = try #require(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": "@notify", "WATCHDOG_USEC": "30000000"], pid: 42))
        #expect(watched.watchdogInterval == .seconds(15))
        // WATCHDOG_PID names another process: the watchdog is not ours.
        let other = try #require(
            SystemdNotifier(
                environment: ["NOTIFY_SOCKET": "@notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "41"], pid: 42))
        #expect(other.watchdogInterval == nil)
        let mine = try #require(
            SystemdNotifier(
                environment: ["NOTIFY_SOCKET": "@notify", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "42"], pid: 42))
        #expect(mine.watchdogInterval == .milliseconds(500))
    }

    @Test(arguments: [false, true])
    func theNotifierReachesAPathOrAnAbstractSocket(abstract: Bool) async throws {
        let listener = try NotifyListener(abstract: abstract)
        defer { listener.stop() }
        let notifier = try #require(SystemdNotifier(socketName: listener.name, watchdogInterval: nil))
        #expect(notifier.sendOnce("READY=1"))
        #expect(!notifier.sendOnce("READY=1"), "READY=1 goes out once")
        #expect(notifier.send("WATCHDOG=1"))
        #expect(await listener.wait { $0 == ["READY=1", "WATCHDOG=1"] }, "\(listener.messages)")
    }

    /// The built `worker --simulator` under a fake systemd: READY=1 once running, WATCHDOG=1 at
    /// half of WATCHDOG_USEC while it runs, STOPPING=1 on SIGTERM, then exit 0.
    @Test(arguments: [false, true])
    func theWorkerSaysReadyWatchdogAndStopping(abstract: Bool) async throws {
        let listener = try NotifyListener(abstract: abstract)
        defer { listener.stop() }
        let dir = try temporaryDirectory()
        let worker = try WorkerProcess(
            ["--simulator", "--db", dir.appendingPathComponent("outbox.sqlite").path],
            environment: ["NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "400000"])
        #expect(await listener.wait { $0.contains("READY=1") }, "\(listener.messages) \(worker.stderr.suffix(2000))")
        // Pings after READY=1 (two, so they repeat).
        #expect(
            await listener.wait { messages in
                messages.drop { $0 != "READY=1" }.filter { $0 == "WATCHDOG=1" }.count >= 2
            }, "\(listener.messages)")
        #expect(worker.stderr.contains("\"Worker running\""))
        #expect(!listener.messages.contains("STOPPING=1"))
        worker.signal(SIGTERM)
        #expect(await listener.wait { $0.contains("STOPPING=1") }, "\(listener.messages)")
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
        let messages = listener.messages
        #expect(messages.filter { $0 == "READY=1" }.count == 1)
        #expect(messages.filter { $0 == "STOPPING=1" }.count == 1)
        #expect(messages.first == "READY=1", "nothing before READY=1: \(messages)")
        #expect(Set(messages) == ["READY=1", "WATCHDOG=1", "STOPPING=1"])
    }

    /// Paywall unreachable: dispatch pauses, and the loop keeps pinging the watchdog (the
    /// worker is alive and doing its job: waiting for Paywall). Paused is read from
    /// worker_status, as the operator's overview reads it.
    @Test func theWatchdogKeepsBeingPingedWhileDispatchIsPausedOffline() async throws {
        let listener = try NotifyListener(abstract: true)
        defer { listener.stop() }
        let dir = try temporaryDirectory()
        let db = dir.appendingPathComponent("outbox.sqlite").path
        var environment = validEnvironment
        environment["OUTBOX_DB"] = db
        // Nothing listens on port 1: every connection is refused, Paywall is "unreachable".
        environment["PAYWALL_PHYSICAL_BASE_URL"] = "https://127.0.0.1:1"
        environment["PAYWALL_PAYMENT_BASE_URL"] = "https://127.0.0.1:1"
        environment["NOTIFY_SOCKET"] = listener.name
        environment["WATCHDOG_USEC"] = "400000"
        let worker = try WorkerProcess(["--create-database"], environment: environment)
        #expect(await listener.wait { $0.contains("READY=1") }, "\(worker.stderr.suffix(2000))")
        let store = try OutboxStore(OutboxStoreConfiguration(path: db))
        _ = try store.enqueue(
            NewCommand(
                commandKey: UUID().uuidString.lowercased(), kind: .asyncPairRequest,
                payload: #"{"TerminalTagCode":"STORE1-TILL9"}"#))
        let deadline = ContinuousClock.now + .seconds(60)
        var paused = false
        while !paused && ContinuousClock.now < deadline {
            paused = try store.workerStatuses().contains { $0.state == "paused" }
            if !paused { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(paused, "\(worker.stderr.suffix(2000))")
        let before = listener.messages.filter { $0 == "WATCHDOG=1" }.count
        #expect(
            await listener.wait { $0.filter { $0 == "WATCHDOG=1" }.count >= before + 3 },
            "no pings while paused: \(listener.messages.count) datagrams")
        #expect(try store.workerStatuses().contains { $0.state == "paused" }, "still paused while pinging")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
        #expect(listener.messages.contains("STOPPING=1"))
    }
}
