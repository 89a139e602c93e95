import Foundation
import OutboxStore
import OutboxTestSupport
import Testing

/// The inbox's `reason` is a contract value: README's table lists exactly what the code writes.
@Suite("Inbox reasons: README and code agree")
struct InboxReasonDocsTests {
    @Test("README's reason table names every InboxReason, and nothing else")
    func readmeTable() throws {
        let readme = try String(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "`reason` (empty for a plain success) is one of:"))
        let table = readme[start.upperBound...].split(separator: "\n").drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        var documented: Set<String> = []
        var byOutcome: [String: Set<String>] = [:]
        for line in table.dropFirst(2) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            // Reasons are the backticked words at the head of each comma-separated item, once
            // the explanations in parentheses are left out.
            let bare = cells[1].replacingOccurrences(of: #"\([^)]*\)"#, with: "", options: .regularExpression)
            let reasons = bare.split(separator: ",").compactMap { item -> String? in
                let item = item.trimmingCharacters(in: .whitespaces)
                guard item.hasPrefix("`"), let end = item.dropFirst().firstIndex(of: "`") else { return nil }
                return String(item[item.index(after: item.startIndex)..<end])
            }
            byOutcome[cells[0].replacingOccurrences(of: "`", with: ""), default: []].formUnion(reasons)
            documented.formUnion(reasons)
        }
        documented.remove("already_done:<why>")
        #expect(documented == Set(InboxReason.documented.map(\.rawValue)))
        #expect(byOutcome["dead"]?.contains(InboxReason.lifecycleViolation.rawValue) == true)
        #expect(byOutcome["succeeded"]?.contains("already_done:<why>") == true)
    }
}
