/// What validation does with a key the catalog's schema does not list (a misspelt
/// `CallbackAdress` would otherwise silently mean "no callbacks").
public enum UnknownFieldPolicy: String, Sendable, Hashable, CaseIterable {
    /// Refuse the request, naming the key's path and the known key it is closest to (default).
    case refuse
    /// Send unknown keys untouched: the escape hatch for a field Paywall accepts that the catalog
    /// does not know yet (worker `--allow-unknown-fields`). Known fields are still checked, a
    /// known field in another letter case is still refused, and every string still goes through
    /// ``TextRule``.
    case passThrough = "pass_through"
}
