import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What Linux's /proc says about a process: CPU, resident memory, threads. Read from outside, so
/// the measured process needs no cooperation.
enum ProcFS {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The fields of `/proc/<pid>/stat` (or a task's) after the `(comm)` field, 0 = state.
    static func statFields(_ path: String) -> (name: String, fields: [Substring])? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let rest = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        return (name, rest)
    }

    /// User + system CPU seconds of the whole process (its finished threads included), at the
    /// kernel's tick resolution (10 ms here).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let (_, fields) = statFields("/proc/\(pid)/stat"), fields.count > 12,
            let user = Double(fields[11]), let system = Double(fields[12])
        else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// On-CPU nanoseconds of each live thread of the process (`schedstat`), by thread id, for
    /// short or nearly idle windows where 10 ms ticks are too coarse.
    static func onCPUNanos(pid: Int32) -> [String: Int64]? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var byThread: [String: Int64] = [:]
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let nanos = Int64(first)
            else { continue }
            byThread[task] = nanos
        }
        return byThread
    }

    /// The on-CPU nanoseconds spent between two ``onCPUNanos(pid:)`` readings by the threads alive
    /// at the second (a thread started meanwhile counts whole). A thread that exited meanwhile
    /// (a dispatch pool thread reaped after idling) counts nothing: taking its whole life away,
    /// as a plain sum would, made the figure negative.
    static func onCPUDelta(_ before: [String: Int64], _ after: [String: Int64]) -> Int64 {
        after.reduce(0) { total, thread in total + max(0, thread.value - (before[thread.key] ?? 0)) }
    }

    /// Resident set size in bytes.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }

    /// Peak resident set size in bytes (`VmHWM` in `/proc/<pid>/status`).
    static func peakResidentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first ?? ""
            return Int(digits.trimmingCharacters(in: .whitespaces)).map { $0 * 1_024 }
        }
        return nil
    }

    /// Each live thread's name and user + system CPU seconds.
    static func threads(pid: Int32) -> [(name: String, cpu: Double)] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [] }
        return tasks.compactMap { task in
            guard let (name, fields) = statFields("/proc/\(pid)/task/\(task)/stat"), fields.count > 12,
                let user = Double(fields[11]), let system = Double(fields[12])
            else { return nil }
            return (name, (user + system) / ticksPerSecond)
        }
    }

    /// Voluntary context switches summed over the process's live threads (`status` of each
    /// task): how often its threads went to sleep and were woken.
    static func contextSwitches(pid: Int32) -> Int? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var total = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else {
                continue
            }
            for line in text.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches") {
                total += Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }

    /// The 1-minute load average.
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
            let first = text.split(separator: " ").first
        else { return -1 }
        return Double(first) ?? -1
    }

    /// Names of running compiler processes (another agent's `swift build`): their presence makes
    /// a measurement noise, so the report says so.
    static func busyBuilders() -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: Set<String> = []
        for entry in entries where entry.first?.isNumber == true {
            guard let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8) else { continue }
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            if ["swift-frontend", "swift-build", "swiftc", "clang", "ld.gold", "ld.lld", "swift-driver"].contains(name) {
                found.insert(name)
            }
        }
        return found.sorted()
    }
}

/// CPU seconds (user + system) of the calling thread.
func threadCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(1 /* RUSAGE_THREAD */, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Wall-clock (CLOCK_REALTIME) microseconds since the Unix epoch: comparable with Python's
/// `time.time_ns() // 1000` in another process on the same machine.
func wallMicros() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
}
