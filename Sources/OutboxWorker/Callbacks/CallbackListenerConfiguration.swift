import PaywallClient

/// How the callback listener runs: where it listens, the one path it serves, the keys it
/// verifies with, and its limits. The `worker` executable fills it from `callback.*` settings
/// (``WorkerSetting/callbackAddress`` and the rest); the listener is off unless an address is set.
public struct CallbackListenerConfiguration: Sendable, Hashable {
    /// The path served by default.
    public static let defaultPath = "/paywall/callback"

    /// The address to bind (`127.0.0.1`, `0.0.0.0`, `::1`).
    public var host: String
    /// The port (`0`: any free port, for tests).
    public var port: Int
    /// The one path served (exact match, query ignored).
    public var path: String
    /// The keys that verify callbacks, by `HashKeyType`.
    public var keys: CallbackKeys
    /// Bodies larger than this are refused (413) without being read further.
    public var maximumBodyBytes: Int
    /// Connections open at once; more wait in the listen backlog.
    public var maximumConnections: Int
    /// An idle connection is closed after this long (milliseconds).
    public var idleTimeoutMillis: Int64

    /// Creates a configuration.
    public init(
        host: String, port: Int, path: String = CallbackListenerConfiguration.defaultPath, keys: CallbackKeys,
        maximumBodyBytes: Int = CallbackVerifier.defaultMaximumBodyBytes, maximumConnections: Int = 64,
        idleTimeoutMillis: Int64 = 30_000
    ) {
        self.host = host
        self.port = port
        self.path = path
        self.keys = keys
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumConnections = maximumConnections
        self.idleTimeoutMillis = idleTimeoutMillis
    }

    /// Reads `host:port` (`0.0.0.0:8080`, `127.0.0.1:0`, `[::1]:8080`); `nil` when it is not one.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty,
            host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }),
            host.allSatisfy(\.isASCII),
            !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
            portText.count <= 5, let port = Int(portText), (0...65_535).contains(port)
        else { return nil }
        return (String(host), port)
    }

    /// Why `path` cannot be the callback path, or `nil` when it can: it must start with `/`, hold
    /// only letters, digits and `/ - _ . ~`, have no empty, `.` or `..` segment, and be at most
    /// 200 characters.
    public static func pathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must start with /" }
        guard path.count <= 200 else { return "must be at most 200 characters" }
        let allowed = path.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "/-_.~".unicodeScalars.contains(scalar))
        }
        guard allowed else { return "may hold only letters, digits and / - _ . ~" }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if path != "/" && segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "must not have empty, . or .. segments"
        }
        return nil
    }

    /// `host:port` as given (brackets around an IPv6 host).
    public var addressText: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
