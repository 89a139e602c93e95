import Foundation

/// Where `swift build` put the package's executables, and where the package's own files are.
public enum BuiltProducts {
    /// The products directory: the test runner's own folder (on Linux the runner is
    /// `<products>/<Package>PackageTests.xctest`, a file).
    public static var directory: URL {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url
    }

    /// A built executable, e.g. `executable("worker")`.
    public static func executable(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// The path of a built executable.
    public static func path(_ name: String) -> String { executable(name).path }

    /// The package root (for Schema/, README.md, Tests/Fixtures/).
    public static var packageRoot: URL {
        // This file is <root>/Tests/Support/BuiltProducts.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A file under `Tests/Fixtures/`.
    public static func fixture(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }
}
