import Foundation
import GRDB

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Whether a refusal is one the producer contract allows, and why.
enum RefusalCheck {
    /// A key as `command_key`'s UNIQUE index compares it (COLLATE NOCASE): ASCII letters folded,
    /// the text read up to its first NUL, and its length in bytes (so `K`, `K\0` and `K\0x` are
    /// three keys, `K\0x` and `k\0X` one).
    static func uniqueKey(_ row: FuzzRow) -> String? {
        guard case .text(let key)? = row.value("command_key") else { return nil }
        let head = key.utf8.prefix { $0 != 0 }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        return "\(String(decoding: head, as: UTF8.self))#\(key.utf8.count)"
    }

    /// nil when allowed; otherwise what is wrong with it.
    /// - `keyTaken`: the row's key (``uniqueKey(_:)``) is already stored.
    static func problem(_ result: WriteResult, row: FuzzRow, keyTaken: Bool) -> String? {
        guard !result.ok else { return nil }
        let message = result.error ?? ""
        if message.hasPrefix("outbox: ") { return nil }
        // SQLite's own answers for what the README documents: a key queued already (re-insert
        // with ON CONFLICT DO NOTHING to make that harmless), and an `id` a producer should never
        // write.
        if message == "UNIQUE constraint failed: outbox.command_key" && keyTaken { return nil }
        // A non-integer id: SQLite refuses it before any trigger runs (schema 5 refuses the rest).
        if row.value("id") != nil && message == "datatype mismatch" {
            return nil
        }
        return "refused without an outbox: message (\(result.name ?? "?")): \(message)"
    }
}

/// One stored outbox row, read without trusting any column's type.
struct StoredRow: Sendable {
    var id: Int64
    /// Columns as the worker reads them (GRDB: text up to a NUL, invalid UTF-8 repaired).
    var key: String?
    var kind: String?
    var saleKey: String?
    var paymentRequestId: String?
    var notBefore: Int64?
    var createdAt: Int64?
    var state: String
    /// Outcome rows for generation 1: (outcome, reason).
    var outcomes: [(outcome: String, reason: String?)] = []

    /// The state of an entry made for an inbox outcome whose outbox row no longer exists.
    static let gone = "<no outbox row>"

    static let followUps: Set<String> = ["async_cancel", "sync_cancel", "sync_sale_rollback", "sync_cancel_rollback"]
    static let sales: Set<String> = ["async_sale", "sync_sale"]

    var isFinal: Bool { state != "pending" && state != "in_flight" }

    static func readAll(_ db: Database) throws -> [Int64: StoredRow] {
        var rows: [Int64: StoredRow] = [:]
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT id, command_key, kind, sale_key, payment_request_id, not_before, created_at, state FROM outbox
                """)
        while let row = try cursor.next() {
            let id = Int64.fromDatabaseValue(row[0] as DatabaseValue) ?? 0
            rows[id] = StoredRow(
                id: id, key: text(row[1]), kind: text(row[2]), saleKey: text(row[3]), paymentRequestId: text(row[4]),
                notBefore: integer(row[5]), createdAt: integer(row[6]), state: text(row[7]) ?? "?")
        }
        let outcomes = try Row.fetchCursor(
            db, sql: "SELECT outbox_id, outcome, reason FROM inbox WHERE event = 'outcome' AND generation = 1")
        while let row = try outcomes.next() {
            let id = Int64.fromDatabaseValue(row[0] as DatabaseValue) ?? 0
            rows[id, default: StoredRow(id: id, state: gone)].outcomes.append(
                (text(row[1]) ?? "?", text(row[2])))
        }
        return rows
    }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let text): text
        case .blob(let data): String(decoding: data, as: UTF8.self)
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .null: nil
        }
    }

    private static func integer(_ value: DatabaseValue) -> Int64? {
        if case .int64(let number) = value.storage { return number }
        return nil
    }

    /// Why an unfinished row may still be waiting at `now`, or nil if it should have finished.
    /// Judged from what the producer wrote, not from what the worker says about it.
    static func waitingReason(_ row: StoredRow, in all: [Int64: StoredRow], now: Int64, depth: Int = 0) -> String? {
        if let notBefore = row.notBefore, notBefore > now { return "not_before is ahead" }
        guard let kind = row.kind, followUps.contains(kind) else { return nil }
        if row.paymentRequestId == nil, let saleKey = row.saleKey?.lowercased() {
            let sale = all.values.first { $0.key?.lowercased() == saleKey && sales.contains($0.kind ?? "") }
            if sale == nil, let created = row.createdAt, now < created + 30_000 {
                return "its sale is not in the outbox (30 s grace from created_at)"
            }
            // Behind an earlier follow-up of the same sale that is itself waiting.
            if depth < 3,
                let earlier = all.values.first(where: {
                    $0.id < row.id && !$0.isFinal && followUps.contains($0.kind ?? "") && $0.saleKey?.lowercased() == saleKey
                        && waitingReason($0, in: all, now: now, depth: depth + 1) != nil
                })
            {
                return "behind follow-up \(earlier.id), which is waiting"
            }
        }
        return nil
    }
}

/// The simulator's request log (`GET /_sim/requests`), gathered by sequence number so that its
/// 10,000-entry window never drops one unseen (poll often enough).
final class SimulatorLog: @unchecked Sendable {
    struct Request: Decodable, Sendable {
        var sequence: Int
        var route: String
        var path: String
        var body: String
        var responseStatus: Int?
        var responseBody: String?
    }

    let baseURL: String
    private(set) var requests: [Int: Request] = [:]

    init(baseURL: String) { self.baseURL = baseURL }

    func poll() async throws {
        let (data, _) = try await URLSession.shared.data(from: URL(string: baseURL + "/_sim/requests")!)
        for request in try JSONDecoder().decode([Request].self, from: data) { requests[request.sequence] = request }
    }

    /// `GET /_sim/sales`: {received, processed, accepted} per MerchantUniqueCode.
    func sales() async throws -> [String: [String: Int]] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: baseURL + "/_sim/sales")!)
        return try JSONDecoder().decode([String: [String: Int]].self, from: data)
    }

    /// Sequence numbers never seen (the log's window moved past them between polls).
    var missing: [Int] {
        guard let last = requests.keys.max() else { return [] }
        return (1...last).filter { requests[$0] == nil }
    }
}
