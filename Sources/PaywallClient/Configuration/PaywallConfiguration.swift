/// Everything the client needs, from the worker's configuration. Credentials live only here
/// (never in the outbox) and never appear in `description`, `debugDescription` or `dump`.
public struct PaywallConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Base address of the Physical POS API, e.g. `https://physical-api.example` (no default:
    /// Paywall does not document it).
    public var physicalBaseURL: String
    /// Base address of the PaymentAPI, e.g. `https://test-payment-api.itspaywall.com`.
    public var paymentBaseURL: String
    /// The private pair (Physical POS endpoints).
    public var privateCredentials: PaywallCredentials
    /// The public pair (marketplace approve).
    public var publicCredentials: PaywallCredentials
    /// How long to wait for a TCP/TLS connection. A failure within it means nothing was sent.
    public var connectTimeout: Duration
    /// The whole request's deadline (connect, send, answer). Past it the outcome is unknown.
    public var requestTimeout: Duration
    /// Which marketplace approve endpoint to call.
    public var approveVariant: MarketplaceApproveVariant
    /// Which answers mean "already done" / "retry later" (beyond Paywall's documented strings).
    public var classification: ClassificationRules
    /// What to do with a payload key the catalog does not list: refuse (default) or send it
    /// untouched (the escape hatch, worker `--allow-unknown-fields`).
    public var unknownFields: UnknownFieldPolicy

    /// Creates a configuration. Defaults: 5 s connect, 30 s request, approve variant `payment`,
    /// ``ClassificationRules/default``, unknown fields refused. Payment statuses are Paywall's documented table
    /// (``PaymentStatus``), not configuration.
    public init(
        physicalBaseURL: String,
        paymentBaseURL: String,
        privateCredentials: PaywallCredentials,
        publicCredentials: PaywallCredentials,
        connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(30),
        approveVariant: MarketplaceApproveVariant = .payment,
        classification: ClassificationRules = .default,
        unknownFields: UnknownFieldPolicy = .refuse
    ) {
        self.physicalBaseURL = physicalBaseURL
        self.paymentBaseURL = paymentBaseURL
        self.privateCredentials = privateCredentials
        self.publicCredentials = publicCredentials
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.approveVariant = approveVariant
        self.classification = classification
        self.unknownFields = unknownFields
    }

    /// The base address of an API.
    public func baseURL(for api: PaywallAPI) -> String {
        switch api {
        case .physical: physicalBaseURL
        case .payment: paymentBaseURL
        }
    }

    /// The credential pair of a kind.
    public func credentials(for kind: CredentialKind) -> PaywallCredentials {
        switch kind {
        case .private: privateCredentials
        case .public: publicCredentials
        }
    }

    /// The catalog for this configuration's approve variant.
    public var catalog: PaywallCatalog { PaywallCatalog(approveVariant: approveVariant) }

    /// A one-line summary with credentials redacted.
    public var description: String {
        "PaywallConfiguration(physicalBaseURL: \(physicalBaseURL), paymentBaseURL: \(paymentBaseURL), "
            + "privateCredentials: \(privateCredentials), publicCredentials: \(publicCredentials), "
            + "connectTimeout: \(connectTimeout), requestTimeout: \(requestTimeout), "
            + "approveVariant: \(approveVariant.rawValue), unknownFields: \(unknownFields.rawValue))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror whose credential children are redacted.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "physicalBaseURL": physicalBaseURL, "paymentBaseURL": paymentBaseURL,
                "privateCredentials": privateCredentials, "publicCredentials": publicCredentials,
                "connectTimeout": connectTimeout, "requestTimeout": requestTimeout,
                "approveVariant": approveVariant, "classification": classification,
                "unknownFields": unknownFields,
            ], displayStyle: .struct)
    }
}
