import OutboxStore

/// Start-up refused: one or more settings are missing or invalid. Each problem names the setting
/// (its file key, and where it came from or where to set it). Secrets are never quoted.
public struct WorkerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One missing or invalid setting.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The configuration key (file key), e.g. `paywall.physical_base_url`, or `config` for
        /// the file itself.
        public var key: String
        /// What is wrong and how to fix it.
        public var message: String

        /// Creates a problem.
        public init(key: String, message: String) {
            self.key = key
            self.message = message
        }

        /// `key: message`.
        public var description: String { "\(key): \(message)" }
    }

    /// Everything that is wrong, in setting order.
    public var problems: [Problem]

    /// Whether a problem is a usage error (exit 64) rather than a configuration one (78): a
    /// database URL carrying a password (``DatabaseURL/passwordRefusal``).
    public var isUsage: Bool { problems.contains { $0.message.contains(DatabaseURL.passwordRefusal) } }

    /// Creates an error.
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One line per problem, after a heading.
    public var description: String {
        let heading = problems.count == 1 ? "configuration error:" : "configuration errors (\(problems.count)):"
        return ([heading] + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}
