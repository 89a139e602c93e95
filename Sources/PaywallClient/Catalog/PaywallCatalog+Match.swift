extension PaywallCatalog {
    /// The operation an incoming `method` + `path` addresses (for the simulator), or `nil`.
    /// The inquiry matches `/api/payment/inquiry/{anything}`; the query string is ignored.
    /// Only this catalog's approve variant matches; loop over
    /// ``MarketplaceApproveVariant/allCases`` to accept all three.
    public func operation(method: HTTPMethod, path: String) -> PaywallOperation? {
        let bare =
            path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        for endpoint in endpoints where endpoint.method == method {
            if endpoint.operation == .paymentInquiry {
                let prefix = "/api/payment/inquiry/"
                if bare.hasPrefix(prefix), bare.count > prefix.count, !bare.dropFirst(prefix.count).contains("/") {
                    return .paymentInquiry
                }
            } else if endpoint.path == bare {
                return endpoint.operation
            }
        }
        return nil
    }
}
