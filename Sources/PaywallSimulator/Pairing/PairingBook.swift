/// Pair requests the simulator handed out (async request/confirm, sync request).
public struct PairingBook: Sendable {
    /// One async pair request.
    public struct AsyncRequest: Sendable, Hashable, Codable {
        /// `PairAsyncRequestId`.
        public var id: String
        /// The terminal key (tag code or lowercase id) it was requested for.
        public var terminalKey: String
        /// `PairCode`, six digits.
        public var pairCode: String
        /// `TerminalPairId`, set once confirmed.
        public var terminalPairId: String?
    }

    /// Async pair requests by lowercase id.
    public private(set) var asyncRequests: [String: AsyncRequest] = [:]
    /// Sync pair requests: `PairRequestId` (lowercase) → terminal key.
    public private(set) var syncRequests: [String: String] = [:]

    /// Creates an empty book.
    public init() {}

    /// Records an async pair request.
    public mutating func requestAsync(id: String, terminalKey: String, pairCode: String) -> AsyncRequest {
        let request = AsyncRequest(
            id: id.lowercased(), terminalKey: terminalKey, pairCode: pairCode, terminalPairId: nil)
        asyncRequests[request.id] = request
        return request
    }

    /// Confirms an async pair request. A repeated confirm answers the same `TerminalPairId`
    /// (idempotent, a simulator choice). `nil` when the request is unknown.
    public mutating func confirmAsync(id: String, newTerminalPairId: String) -> String? {
        guard var request = asyncRequests[id.lowercased()] else { return nil }
        if let existing = request.terminalPairId { return existing }
        request.terminalPairId = newTerminalPairId
        asyncRequests[request.id] = request
        return newTerminalPairId
    }

    /// Records a sync pair request.
    public mutating func requestSync(id: String, terminalKey: String) {
        syncRequests[id.lowercased()] = terminalKey
    }
}
