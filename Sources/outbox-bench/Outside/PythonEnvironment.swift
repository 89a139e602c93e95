import Foundation

/// The Python the producers and peers run with: a virtual environment (created on first use,
/// kept between runs) into which the peers are installed with pip at run time. Nothing is
/// vendored. When pip fails, the peer's rows say so and the rest of the run goes on.
struct PythonEnvironment: Sendable {
    /// The interpreter (the environment's, or the base one when no environment could be made).
    let python: String
    /// The helper script in the scratch directory.
    let helper: String
    let directory: String
    /// Installed versions; nil when the package is not available (see ``notes``).
    let litequeue: String?
    let huey: String?
    let sqliteVersion: String
    let pythonVersion: String
    /// Why something is missing.
    let notes: [String]

    static func prepare(
        venv: String?, basePython: String, installPeers: Bool, directory: String, log: (String) -> Void
    ) async throws -> PythonEnvironment {
        let helper = "\(directory)/\(PythonHelper.fileName)"
        try PythonHelper.source.write(toFile: helper, atomically: true, encoding: .utf8)
        var notes: [String] = []
        var python = basePython
        if installPeers, let venv {
            let candidate = "\(venv)/bin/python"
            if !FileManager.default.isExecutableFile(atPath: candidate) {
                log("creating the Python environment \(venv)")
                do {
                    _ = try await runToCompletion(
                        name: "venv", executable: "/usr/bin/env", arguments: [basePython, "-m", "venv", venv],
                        directory: directory, timeout: .seconds(300))
                } catch {
                    notes.append("python -m venv \(venv) failed (\(error)); peers not installed")
                }
            }
            if FileManager.default.isExecutableFile(atPath: candidate) { python = candidate }
        }
        var versions = try await Self.versions(python: python, helper: helper, directory: directory)
        if installPeers && python != basePython {
            for package in ["litequeue", "huey"] where versions[package] as? String == nil {
                log("pip install \(package) (into \(venv ?? "?"))")
                do {
                    _ = try await runToCompletion(
                        name: "pip-\(package)", executable: python,
                        arguments: ["-m", "pip", "install", "--quiet", package], directory: directory,
                        timeout: .seconds(600))
                } catch {
                    notes.append("pip install \(package) failed: \(error)")
                }
            }
            versions = try await Self.versions(python: python, helper: helper, directory: directory)
        } else if !installPeers {
            notes.append("peers not installed (--no-peers)")
        }
        return PythonEnvironment(
            python: python, helper: helper, directory: directory, litequeue: versions["litequeue"] as? String,
            huey: versions["huey"] as? String, sqliteVersion: versions["sqlite"] as? String ?? "?",
            pythonVersion: versions["python"] as? String ?? "?", notes: notes)
    }

    private static func versions(python: String, helper: String, directory: String) async throws -> [String: Any] {
        let out = try await runToCompletion(
            name: "py-versions", executable: python, arguments: [helper, "versions"], directory: directory,
            timeout: .seconds(60))
        return try parseJSONObject(out)
    }

    /// Runs a helper subcommand to completion and returns its JSON object.
    func run(_ arguments: [String], timeout: Duration = .seconds(1_800)) async throws -> [String: Any] {
        let out = try await runToCompletion(
            name: "py-\(arguments.first ?? "helper")", executable: python, arguments: [helper] + arguments,
            directory: directory, timeout: timeout)
        return try parseJSONObject(out)
    }

    /// Starts a helper subcommand; read its JSON with ``result(of:)`` once it exits.
    func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(
            name: "py-\(arguments.first ?? "helper")", executable: python, arguments: [helper] + arguments,
            directory: directory)
    }

    func result(of child: ChildProcess) throws -> [String: Any] {
        try parseJSONObject(child.standardOutput)
    }
}

/// The last line of `text` parsed as a JSON object.
func parseJSONObject(_ text: String) throws -> [String: Any] {
    guard let line = text.split(separator: "\n").last,
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { throw OutsideError("expected a JSON object, got: \(text.suffix(300))") }
    return object
}

/// `[[muc, micros], ...]` from a producer's `sent` list.
func sentTimes(_ object: [String: Any]) -> [(String, Int64)] {
    guard let sent = object["sent"] as? [[Any]] else { return [] }
    return sent.compactMap { pair in
        guard pair.count == 2, let code = pair[0] as? String else { return nil }
        let micros = (pair[1] as? NSNumber)?.int64Value ?? 0
        return (code.lowercased(), micros)
    }
}
