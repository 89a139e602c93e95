import OutboxModel

/// Something the client can ask Paywall: an outbox command, or one of the reads the worker
/// needs to reconcile.
public enum PaywallOperation: Sendable, Hashable, CustomStringConvertible {
    /// An outbox command.
    case command(CommandKind)
    /// GET /api/payment/inquiry/{paymentRequestId}: one payment's current state.
    case paymentInquiry
    /// POST /api/payment/list: payments created in a date range, paged.
    case paymentList
    /// POST /api/payment/activities: the steps (sale, cancel) of one payment with their
    /// statuses, paged.
    case paymentActivities

    /// Every operation, commands first.
    public static var allCases: [PaywallOperation] {
        CommandKind.allCases.map { .command($0) } + [.paymentInquiry, .paymentList, .paymentActivities]
    }

    /// A stable name for logs and metrics: the command kind's raw value, `payment_inquiry`,
    /// `payment_list` or `payment_activities`.
    public var name: String {
        switch self {
        case .command(let kind): kind.rawValue
        case .paymentInquiry: "payment_inquiry"
        case .paymentList: "payment_list"
        case .paymentActivities: "payment_activities"
        }
    }

    /// The ``name``.
    public var description: String { name }
}
