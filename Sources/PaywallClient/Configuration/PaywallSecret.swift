/// A secret string (API key or client). Its `description`, `debugDescription` and reflection
/// (`dump`, `Mirror`) show `<redacted>`; only ``revealedValue`` gives the text, for the one
/// place that writes the HTTP header.
public struct PaywallSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    /// Wraps a secret.
    public init(_ value: String) {
        self.value = value
    }

    /// The secret text. Use only to build the request header.
    public var revealedValue: String { value }

    /// Whether the secret is empty (not configured).
    public var isEmpty: Bool { value.isEmpty }

    /// `<redacted>`.
    public var description: String { "<redacted>" }
    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// A mirror with no children, so `dump` prints nothing secret.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// One credential pair (API key + API client) as the panel issues it.
public struct PaywallCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The API key (`apikeyprivate` / `apikeypublic` header).
    public var apiKey: PaywallSecret
    /// The API client (`apiclientprivate` / `apiclientpublic` header).
    public var apiClient: PaywallSecret

    /// Creates a pair.
    public init(apiKey: String, apiClient: String) {
        self.apiKey = PaywallSecret(apiKey)
        self.apiClient = PaywallSecret(apiClient)
    }

    /// Whether both halves are set.
    public var isConfigured: Bool { !apiKey.isEmpty && !apiClient.isEmpty }

    /// `PaywallCredentials(<redacted>)` or `PaywallCredentials(<missing>)`.
    public var description: String { "PaywallCredentials(\(isConfigured ? "<redacted>" : "<missing>"))" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror showing only whether the pair is configured.
    public var customMirror: Mirror { Mirror(self, children: ["configured": isConfigured], displayStyle: .struct) }
}
