import PaywallClient

/// What `Pair.Async.AuthenticationFailed` turns into, decided by a harmless probe with the same
/// keys (a one-item payment list). Pure.
///
/// Paywall's string means "not authorised (pairing)" (`docs/hata-kodlari-ve-aciklamalari.md`),
/// which may concern this one command or the key pair. Only when the probe is refused too are
/// the keys at fault: dispatch pauses and no attempt is spent. When the probe is accepted, the
/// command fails with Paywall's words and everything else keeps going.
public enum CredentialProbe {
    /// The outcome to interpret for the command, given the refusal and the probe's outcome.
    public static func resolve(refusal: PaywallAnswer, probe: PaywallOutcome) -> PaywallOutcome {
        switch probe {
        case .unavailable(let problem) where problem.code == .credentialsRefused:
            // The keys are refused everywhere: pause, with the command's own answer on record.
            return .unavailable(PaywallProblem(code: .credentialsRefused, answer: refusal))
        case .unavailable(let problem),
            .transient(_, let problem) where problem.code == .transport:
            // Paywall could not be reached for the probe: a connectivity pause; look again later.
            return .unavailable(problem)
        case .succeeded, .alreadyDone, .rejected, .invalid:
            // The keys work for other calls: this command is refused, with Paywall's words.
            return .rejected(refusal)
        case .transient(let retryAfter, let problem):
            return .transient(retryAfter: retryAfter, problem)
        case .outcomeUnknown(let problem):
            return .transient(retryAfter: nil, problem)
        case .credentialsInDoubt:
            return .rejected(refusal)
        }
    }
}
