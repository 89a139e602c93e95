import AsyncHTTPClient
import Foundation

/// Sorts AsyncHTTPClient / SwiftNIO errors into "nothing was sent" and "may have been sent".
///
/// NIO's error types (`NIOConnectionError`, `IOError`, `ChannelError`, `NIOSSLError`) are
/// recognised by type name and description, so this target needs no direct NIO dependency.
/// Anything not recognised is "may have been sent" (``PaywallTransportError/Code/other``).
enum TransportErrorMapper {
    static func map(_ error: any Error) -> PaywallTransportError {
        if let error = error as? PaywallTransportError { return error }
        if error is CancellationError { return PaywallTransportError(code: .cancelled, detail: "task cancelled") }
        if let error = error as? HTTPClientError { return map(error) }

        let typeName = String(reflecting: type(of: error))
        let text = String(describing: error)
        let detail = "\(typeName): \(text)"

        if typeName.hasSuffix("NIOConnectionError") {
            // Happens only while connecting: nothing was sent.
            if text.hasPrefix("DNS error") { return PaywallTransportError(code: .dnsFailure, detail: detail) }
            return PaywallTransportError(code: connectCode(text), detail: detail)
        }
        if typeName.hasPrefix("NIOSSL.") {
            let lower = text.lowercased()
            if lower.contains("uncleanshutdown") {
                return PaywallTransportError(code: .connectionClosed, detail: detail)
            }
            if lower.contains("handshake") || lower.contains("certificate") || lower.contains("hostname")
                || lower.contains("cannotfindpeerip") || typeName.hasSuffix("NIOSSLExtraError")
            {
                return PaywallTransportError(code: .tlsFailure, detail: detail)
            }
            return PaywallTransportError(code: .other, detail: detail)
        }
        if typeName.hasSuffix("ChannelError") {
            if text.contains("connectTimeout") { return PaywallTransportError(code: .connectTimeout, detail: detail) }
            if text.contains("ioOnClosedChannel") || text.contains("eof") || text.contains("alreadyClosed")
                || text.contains("outputClosed")
            {
                return PaywallTransportError(code: .connectionClosed, detail: detail)
            }
            return PaywallTransportError(code: .other, detail: detail)
        }
        if typeName.hasSuffix("IOError") {
            if text.hasPrefix("connect") { return PaywallTransportError(code: connectCode(text), detail: detail) }
            if text.contains("(errno: \(ECONNRESET))") || text.contains("(errno: \(EPIPE))") {
                return PaywallTransportError(code: .connectionClosed, detail: detail)
            }
            return PaywallTransportError(code: .other, detail: detail)
        }
        if typeName.hasSuffix("SocketAddressError") {
            return PaywallTransportError(code: .dnsFailure, detail: detail)
        }
        return PaywallTransportError(code: .other, detail: detail)
    }

    /// A connect-phase failure, by errno.
    static func connectCode(_ text: String) -> PaywallTransportError.Code {
        if text.contains("(errno: \(ECONNREFUSED))") { return .connectionRefused }
        if text.contains("(errno: \(ENETUNREACH))") || text.contains("(errno: \(EHOSTUNREACH))") {
            return .networkUnreachable
        }
        if text.contains("connectTimeout") || text.contains("(errno: \(ETIMEDOUT))") { return .connectTimeout }
        return .connectionRefused
    }

    static func map(_ error: HTTPClientError) -> PaywallTransportError {
        let detail = "HTTPClientError: \(error)"
        switch error {
        case .connectTimeout, .getConnectionFromPoolTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
            return PaywallTransportError(code: .connectTimeout, detail: detail)
        case .tlsHandshakeTimeout:
            return PaywallTransportError(code: .tlsFailure, detail: detail)
        case .invalidURL, .emptyHost, .emptyScheme, .missingSocketPath:
            return PaywallTransportError(code: .invalidURL, detail: detail)
        case .alreadyShutdown:
            return PaywallTransportError(code: .notStarted, detail: detail)
        case .readTimeout:
            return PaywallTransportError(code: .readTimeout, detail: detail)
        case .remoteConnectionClosed:
            return PaywallTransportError(code: .connectionClosed, detail: detail)
        case .deadlineExceeded:
            return PaywallTransportError(code: .deadlineExceeded, detail: detail)
        case .cancelled:
            return PaywallTransportError(code: .cancelled, detail: detail)
        default:
            if "\(error)".contains("unsupportedScheme") {
                return PaywallTransportError(code: .invalidURL, detail: detail)
            }
            return PaywallTransportError(code: .other, detail: detail)
        }
    }
}
