import Foundation
import OutboxModel
import Testing

@testable import PaywallClient

@Suite("Catalog lookup by method and path")
struct CatalogMatchTests {
    @Test("every endpoint is found by its own method and path")
    func roundTrip() {
        for variant in MarketplaceApproveVariant.allCases {
            let catalog = PaywallCatalog(approveVariant: variant)
            for endpoint in catalog.endpoints {
                let path = endpoint.path.replacingOccurrences(of: "{paymentRequestId}", with: Fixtures.paymentRequestId)
                #expect(catalog.operation(method: endpoint.method, path: path) == endpoint.operation)
            }
        }
    }

    @Test("wrong method, unknown path, nested inquiry path")
    func misses() {
        let catalog = PaywallCatalog()
        #expect(catalog.operation(method: .get, path: "/api/payment/async/sale") == nil)
        #expect(catalog.operation(method: .post, path: "/api/payment/async/sale/") == nil)
        #expect(catalog.operation(method: .get, path: "/api/payment/inquiry/") == nil)
        #expect(catalog.operation(method: .get, path: "/api/payment/inquiry/a/b") == nil)
        #expect(catalog.operation(method: .post, path: "/api/paywall/marketplace/approve/pw/payment") == nil)
        #expect(catalog.operation(method: .post, path: "/api/payment/list?x=1") == .paymentList)
    }
}
