import PaywallClient

/// An HTTP answer the simulator sends for a Paywall endpoint: a status, optional extra headers
/// and an exact JSON body.
public struct SimulatedAnswer: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Extra headers (e.g. `Retry-After`).
    public var headers: [String: String]
    /// The JSON body.
    public var body: JSONValue

    /// Creates an answer.
    public init(status: Int = 200, headers: [String: String] = [:], body: JSONValue) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A Physical API envelope: `Result`, `ErrorCode`, `Succeeded`, `Failed`, `Message`,
    /// `ClientMessage`, in `casing`. Keys of `result` (an object) are recased too.
    public static func physical(
        status: Int = 200, casing: EnvelopeCasing, result: JSONValue, errorCode: Int = 0,
        message: String = "Success", clientMessage: String = "", headers: [String: String] = [:]
    ) -> SimulatedAnswer {
        let succeeded = errorCode == 0
        let body = JSONValue.object([
            .init(casing.key("Result"), recase(result, casing)),
            .init(casing.key("ErrorCode"), .number(String(errorCode))),
            .init(casing.key("Succeeded"), .bool(succeeded)),
            .init(casing.key("Failed"), .bool(!succeeded)),
            .init(casing.key("Message"), .string(message)),
            .init(casing.key("ClientMessage"), .string(clientMessage)),
        ])
        return SimulatedAnswer(status: status, headers: headers, body: body)
    }

    /// A Physical API refusal envelope (`Result: null`).
    public static func physicalError(
        status: Int = 200, casing: EnvelopeCasing, errorCode: Int, message: String, clientMessage: String,
        headers: [String: String] = [:]
    ) -> SimulatedAnswer {
        physical(
            status: status, casing: casing, result: .null, errorCode: errorCode, message: message,
            clientMessage: clientMessage, headers: headers)
    }

    /// A PaymentAPI envelope: `ErrorCode`, `Result` (bool), `Message`, `Body`.
    public static func paymentAPI(
        status: Int = 200, errorCode: Int, result: Bool, message: String, body: JSONValue,
        headers: [String: String] = [:]
    ) -> SimulatedAnswer {
        SimulatedAnswer(
            status: status, headers: headers,
            body: .object([
                .init("ErrorCode", .number(String(errorCode))),
                .init("Result", .bool(result)),
                .init("Message", .string(message)),
                .init("Body", body),
            ]))
    }

    private static func recase(_ value: JSONValue, _ casing: EnvelopeCasing) -> JSONValue {
        switch value {
        case .object(let members): .object(members.map { .init(casing.key($0.key), recase($0.value, casing)) })
        case .array(let elements): .array(elements.map { recase($0, casing) })
        default: value
        }
    }
}
