/// What ``CallbackVerifier`` decided about one callback body.
public enum CallbackVerification: Sendable, Hashable {
    /// The body is a callback and its `Hash` was made with a configured key: Paywall sent it.
    case verified(PaymentCallback)
    /// Not verified: never record it, never act on it.
    case refused(CallbackRefusal)

    /// The verified callback, or `nil`.
    public var callback: PaymentCallback? {
        if case .verified(let callback) = self { return callback }
        return nil
    }

    /// The refusal, or `nil`.
    public var refusal: CallbackRefusal? {
        if case .refused(let refusal) = self { return refusal }
        return nil
    }
}
