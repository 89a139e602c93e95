import OutboxModel

/// The catalog: one ``PaywallEndpoint`` per ``PaywallOperation``. Adding a command kind means
/// one more `case` in `make(_:)` for ``CommandKind`` (the compiler insists) plus its tests.
public struct PaywallCatalog: Sendable {
    /// Which marketplace approve endpoint to use.
    public var approveVariant: MarketplaceApproveVariant

    /// Creates the catalog.
    public init(approveVariant: MarketplaceApproveVariant = .payment) {
        self.approveVariant = approveVariant
    }

    /// The entry for an operation: built once per approve variant (a sale's body schema is a
    /// few dozen field specs; the worker looks an entry up several times per command).
    public func endpoint(for operation: PaywallOperation) -> PaywallEndpoint {
        if let built = Self.built[approveVariant]?[operation] { return built }
        return make(operation)
    }

    /// The entry for a command kind (``endpoint(for:)-(PaywallOperation)``).
    public func endpoint(for kind: CommandKind) -> PaywallEndpoint {
        endpoint(for: .command(kind))
    }

    /// Every entry of every variant, made once.
    private static let built: [MarketplaceApproveVariant: [PaywallOperation: PaywallEndpoint]] = Dictionary(
        uniqueKeysWithValues: MarketplaceApproveVariant.allCases.map { variant in
            let catalog = PaywallCatalog(approveVariant: variant)
            return (
                variant,
                Dictionary(uniqueKeysWithValues: PaywallOperation.allCases.map { ($0, catalog.make($0)) })
            )
        })

    /// Builds the entry for an operation.
    func make(_ operation: PaywallOperation) -> PaywallEndpoint {
        switch operation {
        case .command(let kind): make(kind)
        case .paymentInquiry:
            PaywallEndpoint(
                operation: .paymentInquiry, method: .get, path: "/api/payment/inquiry/{paymentRequestId}",
                api: .physical, credentials: .private, body: nil, answer: .paymentInfo, sideEffect: .readOnly)
        case .paymentList:
            PaywallEndpoint(
                operation: .paymentList, method: .post, path: "/api/payment/list", api: .physical,
                credentials: .private, body: RequestBodies.paymentList, answer: .paymentList, sideEffect: .readOnly)
        case .paymentActivities:
            PaywallEndpoint(
                operation: .paymentActivities, method: .post, path: "/api/payment/activities", api: .physical,
                credentials: .private, body: RequestBodies.paymentActivities, answer: .activityList,
                sideEffect: .readOnly)
        }
    }

    /// Builds the entry for a command kind.
    func make(_ kind: CommandKind) -> PaywallEndpoint {
        let operation = PaywallOperation.command(kind)
        switch kind {
        case .asyncSale:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/async/sale", api: .physical,
                credentials: .private, body: RequestBodies.sale(sync: false), answer: .commandIds,
                sideEffect: .movesMoney, alreadyDone: [.duplicateMerchantUniqueCode],
                requiresPaymentRequestId: true)
        case .syncSale:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/sync/sale", api: .physical,
                credentials: .private, body: RequestBodies.sale(sync: true), answer: .commandIds,
                sideEffect: .movesMoney, alreadyDone: [.duplicateMerchantUniqueCode],
                requiresPaymentRequestId: true)
        case .asyncCancel:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/async/cancel", api: .physical,
                credentials: .private, body: RequestBodies.followUp(sync: false), insertsPaymentRequestId: true,
                answer: .commandIds, sideEffect: .movesMoney, alreadyDone: [.alreadyCancelled])
        case .syncCancel:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/sync/cancel", api: .physical,
                credentials: .private, body: RequestBodies.followUp(sync: true), insertsPaymentRequestId: true,
                answer: .commandIds, sideEffect: .movesMoney, alreadyDone: [.alreadyCancelled])
        case .syncSaleRollback:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/sync/sale/rollback", api: .physical,
                credentials: .private, body: RequestBodies.followUp(sync: false), insertsPaymentRequestId: true,
                answer: .commandIds, sideEffect: .movesMoney, alreadyDone: [.alreadyRolledBack])
        case .syncCancelRollback:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/payment/sync/cancel/rollback", api: .physical,
                credentials: .private, body: RequestBodies.followUp(sync: false), insertsPaymentRequestId: true,
                answer: .commandIds, sideEffect: .movesMoney, alreadyDone: [.alreadyRolledBack])
        case .asyncPairRequest:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/pair/async/request", api: .physical,
                credentials: .private, body: RequestBodies.pairRequest, answer: .commandIds,
                sideEffect: .changesState)
        case .asyncPairConfirm:
            return PaywallEndpoint(
                operation: operation, method: .put, path: "/api/pair/async/confirm", api: .physical,
                credentials: .private, body: RequestBodies.pairConfirm, answer: .commandIds,
                sideEffect: .changesState)
        case .syncPairRequest:
            return PaywallEndpoint(
                operation: operation, method: .post, path: "/api/pair/sync/request", api: .physical,
                credentials: .private, body: RequestBodies.pairRequest, answer: .commandIds,
                sideEffect: .changesState)
        case .marketplaceApprove:
            return PaywallEndpoint(
                operation: operation, method: .post, path: approveVariant.path, api: .payment,
                credentials: .public, body: RequestBodies.marketplaceApprove(approveVariant),
                answer: .marketplaceApproval, sideEffect: .movesMoney, alreadyDone: [.alreadyApproved])
        }
    }

    /// Every entry, in ``PaywallOperation/allCases`` order.
    public var endpoints: [PaywallEndpoint] {
        PaywallOperation.allCases.map(endpoint(for:))
    }
}
