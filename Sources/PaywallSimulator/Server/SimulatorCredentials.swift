/// The fake credential pairs the simulator accepts. Not secrets: they exist so a client's
/// header handling is exercised (wrong or missing → 401).
public struct SimulatorCredentials: Sendable, Hashable, Codable {
    /// Expected `apikeyprivate`.
    public var privateKey: String
    /// Expected `apiclientprivate`.
    public var privateClient: String
    /// Expected `apikeypublic`.
    public var publicKey: String
    /// Expected `apiclientpublic`.
    public var publicClient: String

    /// The defaults: `sim-private-key`, `sim-private-client`, `sim-public-key`, `sim-public-client`.
    public init(
        privateKey: String = "sim-private-key", privateClient: String = "sim-private-client",
        publicKey: String = "sim-public-key", publicClient: String = "sim-public-client"
    ) {
        self.privateKey = privateKey
        self.privateClient = privateClient
        self.publicKey = publicKey
        self.publicClient = publicClient
    }
}
