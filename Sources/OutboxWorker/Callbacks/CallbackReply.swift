import PaywallClient

/// The HTTP answer of the callback listener for each outcome: a status and a short constant text
/// (never an echo of the request). Pure, so the table is tested without a server.
///
/// | outcome | status |
/// |---|---|
/// | recorded, duplicate, unknown payment | 200 `ok` |
/// | the sink threw (e.g. database busy) | 503 `try again later`, `Retry-After: 5` |
/// | refused: `hash_mismatch`, `unknown_key_type` | 401 `refused: <reason>` |
/// | refused: `body_too_large` | 413 `refused: body_too_large` |
/// | refused: other reasons | 400 `refused: <reason>` |
/// | another path | 404 `not found` |
/// | another method on the path | 405 `method not allowed`, `Allow: POST` |
public struct CallbackReply: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// The body text (ASCII, ends with a newline).
    public var text: String
    /// Extra headers (name, value).
    public var headers: [String: String]

    /// Creates a reply.
    public init(status: Int, text: String, headers: [String: String] = [:]) {
        self.status = status
        self.text = text
        self.headers = headers
    }

    /// A verified callback the sink took (whatever it did with it).
    public static let accepted = CallbackReply(status: 200, text: "ok\n")
    /// A verified callback the sink could not take now.
    public static let sinkFailed = CallbackReply(
        status: 503, text: "try again later\n", headers: ["Retry-After": "5"])
    /// Any path but the callback path.
    public static let notFound = CallbackReply(status: 404, text: "not found\n")
    /// The callback path with another method than POST.
    public static let methodNotAllowed = CallbackReply(
        status: 405, text: "method not allowed\n", headers: ["Allow": "POST"])

    /// The answer to a refused body.
    public static func refused(_ code: CallbackRefusal.Code) -> CallbackReply {
        let status: Int
        switch code {
        case .hashMismatch, .unknownKeyType: status = 401
        case .bodyTooLarge: status = 413
        case .notJSON, .malformedBody, .missingField, .invalidField: status = 400
        }
        return CallbackReply(status: status, text: "refused: \(code.rawValue)\n")
    }
}
