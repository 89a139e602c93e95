// swift-tools-version:6.1
import PackageDescription

// Dependencies, each for one job (see README "Dependencies"):
// GRDB: SQLite access (system libsqlite3, WAL, statement cache); ArgumentParser: CLI parsing;
// swift-log: structured logging; AsyncHTTPClient: the Paywall transport; Hummingbird: the
// built-in Paywall simulator's HTTP server and the worker's callback listener; ServiceLifecycle:
// graceful shutdown of long-running services; swift-crypto: SHA-256 and the constant-time
// comparison of the callback Hash, shared by the worker's verifier and the simulator's signer
// (house rule: hashes come from swift-crypto, never by hand). Tests only: swift-property-based:
// the random producer rows of the row fuzz test (generators, seeds, propertyCheck on Swift Testing).
// postgres-nio: the PostgreSQL store (connection pool, extended-protocol queries, LISTEN/NOTIFY).
let package = Package(
    name: "paywall-outbox",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "worker", targets: ["worker"]),
        .executable(name: "paywall-sim", targets: ["paywall-sim"]),
        .executable(name: "outbox-bench", targets: ["outbox-bench"]),
        .executable(name: "outbox", targets: ["outbox"]),
        .library(name: "OutboxStore", targets: ["OutboxStore"]),
        .library(name: "OutboxPostgres", targets: ["OutboxPostgres"]),
        .library(name: "PaywallClient", targets: ["PaywallClient"]),
        .library(name: "PaywallSimulator", targets: ["PaywallSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        // Already in the graph through Hummingbird and AsyncHTTPClient; declared because the
        // simulator imports NIOCore and HTTPTypes directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // The worker's /metrics: swift-metrics is the instrumentation API, swift-prometheus renders
        // it as Prometheus text (both already in the graph through Hummingbird; declared because
        // OutboxWorker imports them).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The PostgreSQL store (issue 14): connection pool, queries, LISTEN/NOTIFY.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Test targets only (WorkerCommandTests' row fuzz test).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // Pure vocabulary shared by every target: command kinds, GUIDs, exact JSON.
        .target(name: "OutboxModel"),
        // The SQLite outbox/inbox store (schema, migrations, claim/lease/record, read queries).
        .target(
            name: "OutboxStore",
            dependencies: [
                "OutboxModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API GRDB links, for the one function GRDB cannot register
                // (SQLITE_INNOCUOUS, see ProductConnection).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The store contract over PostgreSQL (Schema/postgres/, embedded): several workers on
        // several machines sharing one outbox. Its own target, so the SQLite store builds and
        // tests without the PostgreSQL client.
        .target(
            name: "OutboxPostgres",
            dependencies: [
                "OutboxModel", "OutboxStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // Only its DatabaseValue: rows are read through the store's one column reader.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Paywall catalog, validation, request building, answer classification, transport.
        .target(
            name: "PaywallClient",
            dependencies: [
                "OutboxModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                // CallbackHash / CallbackVerifier: SHA-256 and constant-time digest comparison.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The worker: plans (pure), dispatches, reconciles, records; a ServiceLifecycle Service.
        .target(
            name: "OutboxWorker",
            dependencies: [
                "OutboxModel", "OutboxStore", "PaywallClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // WorkerSettingsLoader: flags > environment > file through one ConfigReader.
                .product(name: "Configuration", package: "swift-configuration"),
                // CallbackListener: the HTTP endpoint receiving Paywall's callbacks (HummingbirdCore:
                // its HTTP/1 idle timeout and connection limit). Metrics/: instruments
                // (swift-metrics), their Prometheus text (swift-prometheus) and the loopback
                // /metrics, /health, /ready listener (Hummingbird).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `worker`: configuration (flags, environment, file), logging, signals, `--simulator`.
        .executableTarget(
            name: "worker",
            dependencies: [
                "OutboxWorker", "OutboxStore", "OutboxPostgres", "PaywallClient", "PaywallSimulator", "OutboxModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The built-in Paywall simulator (in-process or as `paywall-sim`).
        .target(
            name: "PaywallSimulator",
            dependencies: [
                "OutboxModel",
                "PaywallClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "paywall-sim",
            dependencies: [
                "PaywallSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "outbox-bench",
            dependencies: [
                "OutboxStore", "OutboxWorker", "PaywallClient", "PaywallSimulator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `outbox-bench outside`: the raw SQLite reference goes through GRDB directly, and
                // the fixed-answer Paywall stand-in is a bare NIO HTTP/1 server (packages already
                // in the graph; no new dependency).
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // `outside --sections postgres`: the worker on PostgreSQL (databases made and read here).
                "OutboxPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The `outbox` operator CLI: commands, rendering, masking, exit codes (tested without I/O).
        .target(
            name: "OutboxCLI",
            dependencies: [
                "OutboxModel", "OutboxStore", "OutboxPostgres", "PaywallClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `outbox`: the thin executable over OutboxCLI.
        .executableTarget(name: "outbox", dependencies: ["OutboxCLI", "OutboxModel"]),
        // Helpers every test target shares: where the built binaries are, the poison-row fixture.
        .target(
            name: "OutboxTestSupport",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // ScratchPostgres: a migrated database of its own for each PostgreSQL test.
                "OutboxPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "OutboxCLITests",
            dependencies: [
                "OutboxCLI", "OutboxStore", "OutboxModel", "PaywallClient", "OutboxTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "OutboxStoreTests",
            dependencies: [
                "OutboxStore", "OutboxModel", "OutboxTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                // The contract suite against PostgreSQL (a throwaway local server).
                "OutboxPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(name: "PaywallClientTests", dependencies: ["PaywallClient"]),
        .testTarget(
            name: "OutboxWorkerTests",
            dependencies: [
                "OutboxWorker", "OutboxStore", "PaywallClient", "PaywallSimulator", "OutboxModel", "OutboxTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The planner against its phase table on random commands (CommandPhaseTests).
                .product(name: "PropertyBased", package: "swift-property-based"),
                // CallbackListenerTests post callbacks over real HTTP on loopback.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Worker processes on one PostgreSQL database (PostgresWorkerProcessTests).
                "OutboxPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The `worker` executable: configuration loading (library side) and the built binary end to end.
        .testTarget(
            name: "WorkerCommandTests",
            dependencies: [
                "OutboxWorker", "OutboxStore", "PaywallClient", "OutboxModel", "OutboxTestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
                // The row fuzz test: random rows (PropertyBased), read back with GRDB.
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // CallbackBinaryTests post to the built worker's callback listener.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PaywallSimulatorTests",
            dependencies: [
                "PaywallSimulator", "PaywallClient", "OutboxModel", "OutboxTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
