import OutboxModel
import OutboxStore
import PaywallClient

/// Label values from the worker's own vocabulary, each mapped onto a bounded set: a text this
/// version does not know becomes `unknown` or `other`, never a new series per value.
enum MetricLabels {
    /// A command kind (`unknown` for a kind this version does not know).
    static func kind(_ name: String) -> String { CommandKind(rawValue: name) != nil ? name : "unknown" }

    /// An inbox reason: `none` for a plain success, `already_done` for every `already_done:<why>`,
    /// `other` for a text this version never writes.
    static func reason(_ reason: InboxReason?) -> String {
        guard let reason else { return "none" }
        if reason.rawValue.hasPrefix("already_done") { return "already_done" }
        return InboxReason.documented.contains(reason) ? reason.rawValue : "other"
    }

    /// Why dispatch is paused, from the breaker's reason text (a ``PaywallProblem`` description):
    /// the transport error's code for connectivity (`connection_refused`, `dns_failure`, ...),
    /// else the problem's code (`credentials_refused`, ...), else `other`.
    static func pauseReason(_ text: String) -> String {
        if let marker = text.range(of: "transport error ") {
            let code = text[marker.upperBound...].prefix { $0.isLetter || $0 == "_" }
            return PaywallTransportError.Code(rawValue: String(code))?.rawValue ?? "transport"
        }
        let code = text.prefix { $0.isLetter || $0 == "_" }
        return PaywallProblem.Code(rawValue: String(code))?.rawValue ?? "other"
    }

    /// The breaker's state name.
    static func breakerState(_ state: CircuitBreaker.State) -> String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        case .ramping: "ramping"
        }
    }

    /// Every breaker state name.
    static let breakerStates = ["closed", "open", "half_open", "ramping"]
}
