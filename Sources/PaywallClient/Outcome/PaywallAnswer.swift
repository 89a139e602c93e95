/// An HTTP answer from Paywall, read: status, the verbatim body, and whatever could be parsed
/// from it. Carried by every outcome that got an answer, so the inbox can keep it verbatim.
public struct PaywallAnswer: Sendable, Hashable {
    /// The HTTP status code.
    public var httpStatus: Int
    /// The body as received (decoded as UTF-8; invalid bytes replaced).
    public var rawBody: String
    /// The body parsed as JSON, when it is JSON.
    public var json: JSONValue?
    /// The envelope fields, when the body is a Paywall envelope.
    public var envelope: PaywallEnvelope?
    /// The ids found in the answer.
    public var ids: PaywallResultIds

    /// Reads a response.
    public init(response: PaywallHTTPResponse) {
        httpStatus = response.status
        rawBody = String(decoding: response.body, as: UTF8.self)
        json = try? JSONValue.parse(bytes: response.body)
        envelope = json.flatMap(PaywallEnvelope.init)
        ids = json.map { PaywallResultIds(answer: $0) } ?? PaywallResultIds()
    }

    /// `ErrorCode` as an integer, verbatim.
    public var errorCode: Int? { envelope?.errorCode }
    /// `ErrorCode` verbatim as text (also when not an integer).
    public var errorCodeText: String? { envelope?.errorCodeText }
    /// `Message`, verbatim.
    public var message: String? { envelope?.message }
    /// `ClientMessage`, verbatim.
    public var clientMessage: String? { envelope?.clientMessage }
    /// `Result` (or `Body` for PaymentAPI answers), for the inbox `result` column.
    public var result: JSONValue? { envelope?.result ?? envelope?.body }

    /// The documented Physical API error string the answer carries (`ClientMessage`, `ErrorCode`
    /// or `Message`), if any.
    public var physicalError: PhysicalError? { envelope.flatMap(PhysicalError.init(envelope:)) }

    /// `HTTP 200, ErrorCode 5, Message "...", ClientMessage "..."` (what is present).
    public var summary: String {
        var text = "HTTP \(httpStatus)"
        if let code = errorCodeText { text += ", ErrorCode \(code)" }
        if let message { text += ", Message \"\(message)\"" }
        if let clientMessage { text += ", ClientMessage \"\(clientMessage)\"" }
        return text
    }

    /// The payment an inquiry returned (`Result`), when readable.
    public var paymentInfo: PaymentInfo? {
        envelope?.result.flatMap(PaymentInfo.init)
    }

    /// The page a payment list returned (`Result`), when readable.
    public var paymentListPage: PaymentListPage? {
        envelope?.result.flatMap(PaymentListPage.init)
    }

    /// The page an activities list returned (`Result`), when readable.
    public var activityPage: PaymentActivityPage? {
        envelope?.result.flatMap(PaymentActivityPage.init)
    }

    /// The product lists of a marketplace answer, when present.
    public var marketplaceApproval: MarketplaceApproval? {
        json.flatMap { MarketplaceApproval(answer: $0) }
    }
}
