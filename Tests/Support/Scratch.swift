import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where tests put their files: one folder per test process, `<tmp>/paywall-outbox-tests-<pid>`,
/// removed when the process exits. A run used to leave thousands of databases, WALs and
/// settings files in the temporary folder (each test made its own and kept it).
///
/// The folders of earlier runs whose process is gone (killed before its exit handler ran) are
/// removed when this run first asks for a path. A test that wants to look at its files after a
/// failure can copy them out; nothing here outlives the run.
public enum Scratch {
    private static let prefix = "paywall-outbox-tests-"

    /// This process's folder, created (and the exit handler registered) on first use.
    public static let root: URL = {
        let temporary = FileManager.default.temporaryDirectory
        removeFoldersOfEndedRuns(in: temporary)
        let url = temporary.appendingPathComponent("\(prefix)\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// A new path in this run's folder, `<root>/<name>-<UUID><suffix>`; nothing is created there.
    public static func url(_ name: String, suffix: String = "") -> URL {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)\(suffix)")
    }

    /// A new empty folder in this run's folder, `<root>/<name>-<UUID>`.
    public static func folder(_ name: String) throws -> URL {
        let url = url(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func removeFoldersOfEndedRuns(in temporary: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
    }
}
