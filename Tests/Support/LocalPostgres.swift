import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server for the tests that need one (issue 14's contract suite): the one
/// `OUTBOX_TEST_POSTGRES` names (a `postgres://` URL; a password in `PGPASSWORD`), or else a
/// throwaway cluster this process starts from Debian's `postgresql` package (initdb in a
/// temporary folder, a Unix socket only, fsync off, stopped when the process exits). As root
/// (CI), the cluster runs as the `postgres` user (initdb refuses root).
///
/// When neither is possible, ``shared`` says why and the tests that need it are skipped with
/// that reason printed, unless `OUTBOX_REQUIRE_POSTGRES=1` (what `.ci/run` sets): then they fail.
public enum LocalPostgres {
    /// A server: the URL of its maintenance database, for creating one database per test.
    public struct Server: Sendable {
        /// `postgres://user@localhost/postgres?host=/socket/folder&port=N`.
        public let url: String
        /// The socket folder (or host) and port, and the user, for building other URLs.
        public let host: String
        public let port: Int
        public let user: String
        public let isSocket: Bool

        /// The URL of database `name` on this server.
        public func url(database name: String) -> String {
            isSocket
                ? "postgres://\(user)@localhost/\(name)?host=\(host)"
                : "postgres://\(user)@\(host):\(port)/\(name)"
        }
    }

    /// The server, or why there is none.
    public static let shared: Result<Server, Unavailable> = start()

    /// Whether a missing server must fail the tests rather than skip them.
    public static var required: Bool { ProcessInfo.processInfo.environment["OUTBOX_REQUIRE_POSTGRES"] == "1" }

    /// Why no server could be had.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private static func start() -> Result<Server, Unavailable> {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["OUTBOX_TEST_POSTGRES"], !given.isEmpty {
            guard let url = URLComponents(string: given), let user = url.user else {
                return .failure(Unavailable(description: "OUTBOX_TEST_POSTGRES is not a postgres:// URL with a user"))
            }
            let socket = url.queryItems?.first { $0.name == "host" }?.value
            return .success(
                Server(
                    url: given, host: socket ?? url.host ?? "localhost", port: url.port ?? 5432, user: user,
                    isSocket: socket != nil))
        }
        guard let bin = binDirectory() else {
            return .failure(Unavailable(description: "no PostgreSQL server binaries (apt-get install postgresql)"))
        }
        let directory = "/tmp/outbox-pg-\(UUID().uuidString.prefix(8))"
        let data = "\(directory)/data"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var prefix: [String] = []
            var user = NSUserName()
            if geteuid() == 0 {
                guard getpwnam("postgres") != nil else {
                    return .failure(Unavailable(description: "running as root and there is no postgres user to run initdb"))
                }
                try run("/bin/chown", ["postgres", directory])
                prefix = ["/usr/sbin/runuser", "-u", "postgres", "--"]
                user = "postgres"
            }
            try run(prefix, "\(bin)/initdb", ["-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"])
            let options =
                "-k \(directory) -c listen_addresses='' -p 5432 -c fsync=off -c synchronous_commit=off "
                + "-c full_page_writes=off -c max_connections=400"
            try run(prefix, "\(bin)/pg_ctl", ["-D", data, "-o", options, "-l", "\(directory)/log", "-w", "-t", "120", "start"])
            stopCommand = prefix + ["\(bin)/pg_ctl", "-D", data, "-m", "immediate", "stop"]
            clusterDirectory = directory
            atexit { LocalPostgres.stop() }
            // The contract's roles are cluster-wide: made once here, so tests migrating their
            // databases in parallel never race to create them.
            try run(prefix, "\(bin)/psql", [
                "-h", directory, "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c",
                "CREATE ROLE outbox_producer NOLOGIN; CREATE ROLE outbox_worker NOLOGIN;",
            ])
            return .success(
                Server(
                    url: "postgres://\(user)@localhost/postgres?host=\(directory)", host: directory, port: 5432, user: user,
                    isSocket: true))
        } catch {
            return .failure(Unavailable(description: "could not start a PostgreSQL cluster in \(directory): \(error)"))
        }
    }

    nonisolated(unsafe) private static var stopCommand: [String] = []
    nonisolated(unsafe) private static var clusterDirectory: String?

    private static func stop() {
        guard let executable = stopCommand.first else { return }
        try? run(executable, Array(stopCommand.dropFirst()))
        if let clusterDirectory { try? FileManager.default.removeItem(atPath: clusterDirectory) }
    }

    private static func binDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") { return bin }
        }
        return nil
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    private static func run(_ prefix: [String], _ executable: String, _ arguments: [String]) throws {
        if let first = prefix.first {
            try run(first, Array(prefix.dropFirst()) + [executable] + arguments)
        } else {
            try run(executable, arguments)
        }
    }

    /// Runs `executable` to its end with `posix_spawn` and `waitpid`, output to a file. Not
    /// Foundation's `Process`: it learns that a child ended from a socket the child inherits,
    /// and `pg_ctl start` leaves the server running with it, so `waitUntilExit` never returned.
    private static func run(_ executable: String, _ arguments: [String]) throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        // Under ChildProcess's lock, nothing of this process's open descriptors leaks into the
        // server (a test's pipe held open by the postmaster would never reach its end).
        let spawned = ChildProcess.spawn { posix_spawn(&pid, executable, &actions, nil, argv, environ) }
        guard spawned == 0 else { throw Failed(description: "cannot start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS by hand (they are macros Swift does not import).
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failed(
                description: "\(URL(fileURLWithPath: executable).lastPathComponent) ended with status \(status): \(text.suffix(600))")
        }
    }
}
