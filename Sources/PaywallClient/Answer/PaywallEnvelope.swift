/// The common fields of a Paywall answer, read without regard to key case from either
/// envelope: Physical (`Result`, `ErrorCode`, `Succeeded`, `Failed`, `Message`,
/// `ClientMessage`) or PaymentAPI (`ErrorCode`, `Result`, `Message`, `Body`).
public struct PaywallEnvelope: Sendable, Hashable {
    /// The whole answer.
    public var json: JSONValue
    /// `ErrorCode` as an integer (numbers or numeric strings).
    public var errorCode: Int?
    /// `ErrorCode` verbatim (literal text), also when it is not an integer.
    public var errorCodeText: String?
    /// `Succeeded` (Physical).
    public var succeeded: Bool?
    /// `Failed` (Physical).
    public var failed: Bool?
    /// `Result` when it is a boolean (PaymentAPI, and some Physical answers).
    public var resultFlag: Bool?
    /// `Result` (any JSON), or `nil`.
    public var result: JSONValue?
    /// `Body` (PaymentAPI), or `nil`.
    public var body: JSONValue?
    /// `Message`, verbatim.
    public var message: String?
    /// `ClientMessage`, verbatim.
    public var clientMessage: String?

    /// Reads the envelope fields of a JSON object; `nil` when `json` is not an object or has
    /// none of the envelope fields (not a Paywall answer).
    public init?(_ json: JSONValue) {
        guard case .object = json else { return nil }
        self.json = json
        let code = json["ErrorCode"]
        errorCode = code?.intValue
        errorCodeText = code.flatMap { $0.numberLiteral ?? $0.stringValue }
        succeeded = json["Succeeded"]?.boolValue
        failed = json["Failed"]?.boolValue
        result = json["Result"].flatMap { $0.isNull ? JSONValue?.none : $0 }
        resultFlag = result?.boolValue
        body = json["Body"].flatMap { $0.isNull ? JSONValue?.none : $0 }
        message = json["Message"]?.stringValue
        clientMessage = json["ClientMessage"]?.stringValue
        if code == nil && succeeded == nil && failed == nil && json["Result"] == nil && body == nil {
            return nil
        }
    }

    /// Parses an answer body; `nil` when it is not JSON or not a Paywall envelope.
    public init?(bytes: [UInt8]) {
        guard let json = try? JSONValue.parse(bytes: bytes) else { return nil }
        self.init(json)
    }

    /// What the envelope says about success, for the given API.
    public func verdict(for api: PaywallAPI) -> Verdict {
        switch api {
        case .physical:
            // Any failure signal wins; success needs a positive signal and no failure signal.
            if failed == true || succeeded == false || (errorCode.map { $0 != 0 } ?? (errorCodeText != nil)) {
                return succeeded == true ? .contradictory : .failure
            }
            if succeeded == true { return .success }
            if errorCode == 0 && failed == false { return .success }
            if errorCode == 0 && resultFlag != false && result != nil { return .success }
            if resultFlag == false { return .failure }
            return .undetermined
        case .payment:
            let codeFailure = errorCode.map { $0 != 0 } ?? (errorCodeText != nil)
            if codeFailure || resultFlag == false {
                return (errorCode == 0 && resultFlag == false) || (codeFailure && resultFlag == true)
                    ? .contradictory : .failure
            }
            if errorCode == 0 && (resultFlag == true || resultFlag == nil) { return .success }
            if resultFlag == true { return .success }
            return .undetermined
        }
    }

    /// Whether an envelope reports success.
    public enum Verdict: String, Sendable, Hashable {
        /// Clearly succeeded.
        case success
        /// Clearly failed.
        case failure
        /// Success and failure signals disagree.
        case contradictory
        /// No usable signal.
        case undetermined
    }
}
