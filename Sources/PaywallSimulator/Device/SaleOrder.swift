/// A validated sale command as the device model needs it (the HTTP layer builds it from the
/// request body after validation).
public struct SaleOrder: Sendable, Hashable, Codable {
    /// The channel the sale arrived on.
    public var channel: PaymentChannel
    /// `TerminalId` as sent, if the terminal was addressed by id.
    public var terminalId: String?
    /// `TerminalTagCode` as sent, if the terminal was addressed by tag.
    public var terminalTagCode: String?
    /// `MerchantUniqueCode` as sent.
    public var merchantUniqueCode: String
    /// `Amount`, its literal JSON number text (never converted to a binary floating point).
    public var amount: String
    /// `CurrencyId`, its literal JSON text (`1` or `"1"`).
    public var currencyId: String
    /// `DisplayCode`, if sent.
    public var displayCode: String?
    /// `CallbackAddress`, if sent.
    public var callbackAddress: String?

    /// Creates a sale order.
    public init(
        channel: PaymentChannel, terminalId: String? = nil, terminalTagCode: String? = nil,
        merchantUniqueCode: String, amount: String, currencyId: String = "1",
        displayCode: String? = nil, callbackAddress: String? = nil
    ) {
        self.channel = channel
        self.terminalId = terminalId
        self.terminalTagCode = terminalTagCode
        self.merchantUniqueCode = merchantUniqueCode
        self.amount = amount
        self.currencyId = currencyId
        self.displayCode = displayCode
        self.callbackAddress = callbackAddress
    }

    /// The key the simulator files the terminal under: the tag code if given, else the id
    /// in lowercase. Admin calls (`/_sim/terminals/{key}`) use the same key.
    public var terminalKey: String {
        if let terminalTagCode { return terminalTagCode }
        return (terminalId ?? "").lowercased()
    }
}
