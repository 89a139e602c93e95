/// One catalog entry: everything the client knows about an operation.
public struct PaywallEndpoint: Sendable {
    /// The operation.
    public var operation: PaywallOperation
    /// The HTTP method.
    public var method: HTTPMethod
    /// The path; `{paymentRequestId}` is replaced for the inquiry.
    public var path: String
    /// Which base address.
    public var api: PaywallAPI
    /// Which credential pair.
    public var credentials: CredentialKind
    /// The known fields of the JSON body, or `nil` when the request has no body.
    public var body: BodySchema?
    /// Whether the worker inserts `PaymentRequestId` (a follow-up: cancel, rollback).
    public var insertsPaymentRequestId: Bool
    /// How to read a successful answer.
    public var answer: AnswerShape
    /// What the call does to the world.
    public var sideEffect: SideEffect
    /// Which "already done" answers count as success on a resend (rules in
    /// ``ClassificationRules``).
    public var alreadyDone: Set<AlreadyDoneReason>
    /// Whether a success must carry a `PaymentRequestId` (sales: without it the worker cannot
    /// act on the payment, so a "success" without it is treated as outcome unknown).
    public var requiresPaymentRequestId: Bool

    /// Creates an entry.
    public init(
        operation: PaywallOperation, method: HTTPMethod, path: String, api: PaywallAPI,
        credentials: CredentialKind, body: BodySchema?, insertsPaymentRequestId: Bool = false,
        answer: AnswerShape, sideEffect: SideEffect, alreadyDone: Set<AlreadyDoneReason> = [],
        requiresPaymentRequestId: Bool = false
    ) {
        self.operation = operation
        self.method = method
        self.path = path
        self.api = api
        self.credentials = credentials
        self.body = body
        self.insertsPaymentRequestId = insertsPaymentRequestId
        self.answer = answer
        self.sideEffect = sideEffect
        self.alreadyDone = alreadyDone
        self.requiresPaymentRequestId = requiresPaymentRequestId
    }
}
