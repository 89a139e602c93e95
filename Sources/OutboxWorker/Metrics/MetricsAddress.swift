import Foundation

/// Where the worker serves `/metrics`, `/health` and `/ready` (setting `metrics_address`): its own
/// listener, never the public callback listener. `host:port`, `[v6-address]:port`, or a bare port
/// for `127.0.0.1:port` (loopback unless an operator names another interface). Port 0 asks the
/// system for a free port; the worker logs the one it got.
public struct MetricsAddress: Sendable, Hashable, CustomStringConvertible {
    /// The interface to bind: an IP address or a host name.
    public var host: String
    /// The TCP port (0: any free port).
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `9464`, `127.0.0.1:9464`, `0.0.0.0:9464`, `localhost:9464` or `[::1]:9464`; nil
    /// for anything else (an IPv6 address needs its brackets).
    public init?(parsing text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        func port(_ digits: Substring) -> Int? {
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                let value = Int(digits), (0...65_535).contains(value)
            else { return nil }
            return value
        }
        if let bare = port(Substring(text)) {
            self.init(host: "127.0.0.1", port: bare)
            return
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard !host.isEmpty, rest.hasPrefix(":"), let value = port(rest.dropFirst()) else { return nil }
            self.init(host: String(host), port: value)
            return
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = text[..<colon]
        guard !host.isEmpty, !host.contains(":"), !host.contains(where: { $0.isWhitespace || $0 == "/" }),
            let value = port(text[text.index(after: colon)...])
        else { return nil }
        self.init(host: String(host), port: value)
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
