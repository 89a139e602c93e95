import Hummingbird
import NIOCore

/// The request context of the simulator's router: Hummingbird's core context plus the
/// connection's channel, so a "dropped after processing" fault can close it without answering.
public struct SimulatorRequestContext: RequestContext {
    /// Hummingbird's core context.
    public var coreContext: CoreRequestContextStorage
    /// The connection.
    public let channel: any Channel

    /// Creates the context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
