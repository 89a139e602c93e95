/// The version of paywall-outbox's binaries. `worker --version` and `outbox --version` both print
/// ``current``, so an operator can tell from either that the two come from the same build.
public enum OutboxVersion {
    /// The release, semantic versioning. Bump it here only: every binary reads this constant.
    public static let current = "1.0.0"
}
