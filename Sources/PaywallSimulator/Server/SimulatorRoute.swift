import OutboxModel
import PaywallClient

/// Every Paywall endpoint the simulator serves.
public enum SimulatorRoute: Sendable, Hashable, CaseIterable {
    /// POST /api/payment/async/sale.
    case asyncSale
    /// POST /api/payment/sync/sale.
    case syncSale
    /// POST /api/payment/async/cancel.
    case asyncCancel
    /// POST /api/payment/sync/cancel.
    case syncCancel
    /// POST /api/payment/sync/sale/rollback.
    case syncSaleRollback
    /// POST /api/payment/sync/cancel/rollback.
    case syncCancelRollback
    /// POST /api/pair/async/request.
    case asyncPairRequest
    /// PUT /api/pair/async/confirm.
    case asyncPairConfirm
    /// POST /api/pair/sync/request.
    case syncPairRequest
    /// GET /api/payment/inquiry/{paymentRequestId}.
    case paymentInquiry
    /// POST /api/payment/list.
    case paymentList
    /// POST /api/payment/activities.
    case paymentActivities
    /// POST (or PUT, "update confirmation") on one of the three marketplace approve paths.
    case marketplaceApprove(MarketplaceApproveVariant)
    /// GET /api/paywall/marketplace/report/approval with header `paymentid`.
    case approvalReport

    /// Every route.
    public static var allCases: [SimulatorRoute] {
        [
            .asyncSale, .syncSale, .asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback,
            .asyncPairRequest, .asyncPairConfirm, .syncPairRequest, .paymentInquiry, .paymentList, .paymentActivities,
        ] + MarketplaceApproveVariant.allCases.map { .marketplaceApprove($0) } + [.approvalReport]
    }

    /// The client's catalog entry for the route, when the client knows it (not the report).
    public var endpoint: PaywallEndpoint? {
        switch self {
        case .asyncSale: PaywallCatalog().endpoint(for: CommandKind.asyncSale)
        case .syncSale: PaywallCatalog().endpoint(for: CommandKind.syncSale)
        case .asyncCancel: PaywallCatalog().endpoint(for: CommandKind.asyncCancel)
        case .syncCancel: PaywallCatalog().endpoint(for: CommandKind.syncCancel)
        case .syncSaleRollback: PaywallCatalog().endpoint(for: CommandKind.syncSaleRollback)
        case .syncCancelRollback: PaywallCatalog().endpoint(for: CommandKind.syncCancelRollback)
        case .asyncPairRequest: PaywallCatalog().endpoint(for: CommandKind.asyncPairRequest)
        case .asyncPairConfirm: PaywallCatalog().endpoint(for: CommandKind.asyncPairConfirm)
        case .syncPairRequest: PaywallCatalog().endpoint(for: CommandKind.syncPairRequest)
        case .paymentInquiry: PaywallCatalog().endpoint(for: PaywallOperation.paymentInquiry)
        case .paymentList: PaywallCatalog().endpoint(for: PaywallOperation.paymentList)
        case .paymentActivities: PaywallCatalog().endpoint(for: PaywallOperation.paymentActivities)
        case .marketplaceApprove(let variant):
            PaywallCatalog(approveVariant: variant).endpoint(for: CommandKind.marketplaceApprove)
        case .approvalReport: nil
        }
    }

    /// The path as the router registers it (`:paymentRequestId` for the inquiry parameter).
    public var routerPath: String {
        switch self {
        case .paymentInquiry: "/api/payment/inquiry/:paymentRequestId"
        case .approvalReport: "/api/paywall/marketplace/report/approval"
        default: endpoint?.path ?? ""
        }
    }

    /// The HTTP methods served.
    public var methods: [PaywallClient.HTTPMethod] {
        switch self {
        case .approvalReport: [.get]
        case .marketplaceApprove(.payment): [.post, .put]
        default: [endpoint?.method ?? .post]
        }
    }

    /// Which credential pair the route checks.
    public var credentials: CredentialKind {
        switch self {
        case .marketplaceApprove, .approvalReport: .public
        default: .private
        }
    }

    /// Which API family answers (PaymentAPI envelope for marketplace routes).
    public var api: PaywallAPI {
        switch self {
        case .marketplaceApprove, .approvalReport: .payment
        default: .physical
        }
    }

    /// The answer casing: camelCase for cancel and rollbacks, PascalCase otherwise.
    public var casing: EnvelopeCasing {
        switch self {
        case .asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback: .camel
        default: .pascal
        }
    }

    /// Whether the route is a sale (counted per MerchantUniqueCode).
    public var isSale: Bool { self == .asyncSale || self == .syncSale }

    /// A stable name for logs and the admin view.
    public var name: String {
        switch self {
        case .asyncSale: "async_sale"
        case .syncSale: "sync_sale"
        case .asyncCancel: "async_cancel"
        case .syncCancel: "sync_cancel"
        case .syncSaleRollback: "sync_sale_rollback"
        case .syncCancelRollback: "sync_cancel_rollback"
        case .asyncPairRequest: "async_pair_request"
        case .asyncPairConfirm: "async_pair_confirm"
        case .syncPairRequest: "sync_pair_request"
        case .paymentInquiry: "payment_inquiry"
        case .paymentList: "payment_list"
        case .paymentActivities: "payment_activities"
        case .marketplaceApprove(let variant): "marketplace_approve_\(variant.rawValue)"
        case .approvalReport: "marketplace_approval_report"
        }
    }
}
