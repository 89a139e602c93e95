import Foundation
import OutboxTestSupport
import OutboxModel
import OutboxStore
import Testing

/// The worker binary when its database is missing, replaced, deleted or too new.
@Suite(.serialized) struct StorageFaultTests {
    /// Valid settings for a real Paywall (nothing is sent in these tests).
    static let realPaywall: [String: String] = [
        "PAYWALL_PHYSICAL_BASE_URL": "https://physical.example.com", "PAYWALL_PAYMENT_BASE_URL": "https://payment.example.com",
        "PAYWALL_PRIVATE_API_KEY": "k1", "PAYWALL_PRIVATE_API_CLIENT": "c1", "PAYWALL_PUBLIC_API_KEY": "k2",
        "PAYWALL_PUBLIC_API_CLIENT": "c2",
    ]

    @Test func missingDatabaseExits78NamingThePathAndCreatesNothing() async throws {
        let path = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(["--db", path], environment: Self.realPaywall)
        #expect(await worker.waitForExit() == 78, "\(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains(path) && worker.stderr.contains("--create-database"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func createDatabaseCreatesItOnFirstSetup() async throws {
        let path = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(
            ["--db", path, "--create-database", "--exit-when-idle"], environment: Self.realPaywall)
        #expect(await worker.waitForExit() == 0, "\(worker.stderr.suffix(2000))")
        #expect(try OutboxStore.schemaVersion(atPath: path) == OutboxStore.latestSchemaVersion)
    }

    @Test func newerSchemaExits78() async throws {
        let path = try temporaryDirectory().appendingPathComponent("outbox.sqlite").path
        _ = try OutboxStore(OutboxStoreConfiguration(path: path))
        let raised = Process()
        raised.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        raised.arguments = [path, "PRAGMA user_version = 99;"]
        try ChildProcess.start(raised)
        raised.waitUntilExit()
        let worker = try WorkerProcess(["--db", path], environment: Self.realPaywall)
        #expect(await worker.waitForExit() == 78, "\(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains("schema version 99"))
    }

    @Test(arguments: ["replaced", "deleted"])
    func databaseFileReplacedOrDeletedUnderARunningWorkerExits74(_ what: String) async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("outbox.sqlite").path
        let worker = try WorkerProcess(["--simulator", "--db", path])
        #expect(await worker.waitForStderr("\"Worker running\""), "\(worker.stderr.suffix(2000))")
        if what == "replaced" {
            let other = dir.appendingPathComponent("restored.sqlite").path
            _ = try OutboxStore(OutboxStoreConfiguration(path: other))
            #expect(rename(other, path) == 0)
        } else {
            try FileManager.default.removeItem(atPath: path)
        }
        #expect(await worker.waitForExit() == 74, "\(worker.stderr.suffix(2000))")
        #expect(worker.stderr.contains("database file"), "\(worker.stderr.suffix(2000))")
    }
}
