/// Which Paywall service (base address) an endpoint lives on.
public enum PaywallAPI: String, Sendable, Hashable, CaseIterable {
    /// The Physical POS API (terminals, pairing, payments on devices). Its base address is not
    /// documented; it comes from configuration.
    case physical = "PhysicalAPI"
    /// The PaymentAPI (marketplace approval and the virtual-POS services).
    case payment = "PaymentAPI"
}

/// Which credential pair an endpoint takes, sent as two HTTP headers.
public enum CredentialKind: String, Sendable, Hashable, CaseIterable {
    /// Headers `apikeyprivate` and `apiclientprivate` (every Physical POS endpoint).
    case `private`
    /// Headers `apikeypublic` and `apiclientpublic` (marketplace approve).
    case `public`

    /// The header carrying the API key.
    public var keyHeader: String {
        switch self {
        case .private: "apikeyprivate"
        case .public: "apikeypublic"
        }
    }

    /// The header carrying the API client.
    public var clientHeader: String {
        switch self {
        case .private: "apiclientprivate"
        case .public: "apiclientpublic"
        }
    }
}

/// An HTTP method the catalog uses.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    /// GET.
    case get = "GET"
    /// POST.
    case post = "POST"
    /// PUT.
    case put = "PUT"
    /// DELETE (Paywall sends JSON bodies on some DELETEs; the transport supports that).
    case delete = "DELETE"
}
