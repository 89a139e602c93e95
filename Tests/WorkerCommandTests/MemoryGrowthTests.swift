import Foundation
import OutboxTestSupport
import Testing

/// The worker's memory must not grow with the number of commands it has processed (a worker runs
/// for weeks under a supervisor). `outbox-bench memory` drains sales through a real worker in its
/// own process (so other tests' allocations do not count) and reports RSS after two drain sizes.
@Suite struct MemoryGrowthTests {
    struct Reading: Decodable {
        var rss_after_first: Int
        var rss_after_then: Int
    }

    @Test("RSS after 2,800 commands stays within 20 MB of RSS after 300 (a leak of ~20 KB per command adds 50 MB)")
    func memoryDoesNotGrowPerCommand() async throws {
        let process = Process()
        process.executableURL = BuiltProducts.executable("outbox-bench")
        process.arguments = ["memory", "--first", "300", "--then", "2500", "--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        // Wait without blocking a cooperative thread: read the pipe on its own thread.
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            do {
                try ChildProcess.start(process)
            } catch {
                continuation.resume(throwing: error)
                return
            }
            Thread.detachNewThread {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        #expect(process.terminationStatus == 0)
        let reading = try JSONDecoder().decode(Reading.self, from: data)
        let growth = reading.rss_after_then - reading.rss_after_first
        #expect(growth < 20 * 1_048_576, "RSS grew by \(growth / 1024) KB over 2,500 commands")
    }
}
