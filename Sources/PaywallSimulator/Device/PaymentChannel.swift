/// The channel a physical payment was created on (`PaymentChannelId`).
public enum PaymentChannel: Int, Sendable, Hashable, Codable {
    /// The POS vendor's own app (documented as 1 = "Async").
    case async = 1
    /// Paywall's own app, pushed in real time (2 = "Sync", a simulator assumption).
    case sync = 2

    /// The name reported next to the number.
    public var name: String {
        switch self {
        case .async: "Async"
        case .sync: "Sync"
        }
    }
}
