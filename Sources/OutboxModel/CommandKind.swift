/// A kind of command the outbox carries to Paywall.
///
/// The raw value is the `kind` a producer writes into the `outbox` table; the database's
/// `command_kind` table holds the same list (a test keeps them equal). Adding a kind means a
/// schema migration that inserts it, a case here, and an entry in the Paywall catalog.
public enum CommandKind: String, CaseIterable, Sendable, Hashable, Codable {
    /// POST /api/payment/async/sale: a sale on a terminal running the POS vendor's app.
    case asyncSale = "async_sale"
    /// POST /api/payment/sync/sale: a sale on a terminal running Paywall's app.
    case syncSale = "sync_sale"
    /// POST /api/payment/async/cancel.
    case asyncCancel = "async_cancel"
    /// POST /api/payment/sync/cancel.
    case syncCancel = "sync_cancel"
    /// POST /api/payment/sync/sale/rollback: revoke a sale the device has not taken yet.
    case syncSaleRollback = "sync_sale_rollback"
    /// POST /api/payment/sync/cancel/rollback: revoke a cancel the device has not taken yet.
    case syncCancelRollback = "sync_cancel_rollback"
    /// POST /api/pair/async/request.
    case asyncPairRequest = "async_pair_request"
    /// PUT /api/pair/async/confirm.
    case asyncPairConfirm = "async_pair_confirm"
    /// POST /api/pair/sync/request.
    case syncPairRequest = "sync_pair_request"
    /// Marketplace payment approval on Paywall's PaymentAPI (public keys).
    case marketplaceApprove = "marketplace_approve"

    /// How a kind relates to sales; mirrors `command_kind.role` in the schema.
    public enum Role: String, Sendable, Hashable, Codable {
        /// A payment order; its idempotency key is its MerchantUniqueCode.
        case sale
        /// Acts on a sale (cancel, rollback) and must name it.
        case followUp = "follow_up"
        /// Needs no sale.
        case standalone
    }

    /// The kind's role.
    public var role: Role {
        switch self {
        case .asyncSale, .syncSale: .sale
        case .asyncCancel, .syncCancel, .syncSaleRollback, .syncCancelRollback: .followUp
        case .asyncPairRequest, .asyncPairConfirm, .syncPairRequest, .marketplaceApprove: .standalone
        }
    }
}
