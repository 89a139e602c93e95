import Foundation

extension PaywallConfiguration {
    /// What is wrong with this configuration, one sentence each (empty when usable). Checks
    /// that both base URLs are absolute `http`/`https` URLs with a host and no query, that both
    /// credential pairs are set, and that the timeouts are positive with connect ≤ request.
    /// Never mentions secret values.
    public var problems: [String] {
        var found: [String] = []
        for (name, value) in [("physicalBaseURL", physicalBaseURL), ("paymentBaseURL", paymentBaseURL)] {
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
                ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty, url.query == nil
            else {
                found.append("\(name) must be an absolute http(s) URL with a host and no query, not \"\(value)\"")
                continue
            }
        }
        if !privateCredentials.isConfigured {
            found.append("privateCredentials (apikeyprivate, apiclientprivate) are not set")
        }
        if !publicCredentials.isConfigured {
            found.append("publicCredentials (apikeypublic, apiclientpublic) are not set")
        }
        if connectTimeout <= .zero { found.append("connectTimeout must be positive") }
        if requestTimeout <= .zero { found.append("requestTimeout must be positive") }
        if connectTimeout > requestTimeout { found.append("connectTimeout must not exceed requestTimeout") }
        return found
    }
}
