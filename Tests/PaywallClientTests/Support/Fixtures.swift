import OutboxModel
import PaywallClient

/// Obviously fake credentials and ids; no real account appears in these tests.
enum Fixtures {
    static let privateKey = "FAKE-PRIVATE-KEY-do-not-use-111"
    static let privateClient = "FAKE-PRIVATE-CLIENT-do-not-use-222"
    static let publicKey = "FAKE-PUBLIC-KEY-do-not-use-333"
    static let publicClient = "FAKE-PUBLIC-CLIENT-do-not-use-444"
    static var secrets: [String] { [privateKey, privateClient, publicKey, publicClient] }

    static let physicalBase = "https://physical.paywall.test"
    static let paymentBase = "https://payment.paywall.test/"

    static let terminalId = "11111111-1111-1111-1111-111111111111"
    static let merchantUniqueCode = "22222222-2222-4222-8222-222222222222"
    static let paymentRequestId = "33333333-3333-4333-8333-333333333333"
    static let pairAsyncRequestId = "44444444-4444-4444-8444-444444444444"

    static func configuration(
        approveVariant: MarketplaceApproveVariant = .payment, rules: ClassificationRules = .default
    ) -> PaywallConfiguration {
        PaywallConfiguration(
            physicalBaseURL: physicalBase, paymentBaseURL: paymentBase,
            privateCredentials: PaywallCredentials(apiKey: privateKey, apiClient: privateClient),
            publicCredentials: PaywallCredentials(apiKey: publicKey, apiClient: publicClient),
            approveVariant: approveVariant, classification: rules)
    }

    static var builder: PaywallRequestBuilder { PaywallRequestBuilder(configuration: configuration()) }

    /// A builder that sends unknown fields untouched (the worker's `--allow-unknown-fields`).
    static var passThroughBuilder: PaywallRequestBuilder {
        var configuration = configuration()
        configuration.unknownFields = .passThrough
        return PaywallRequestBuilder(configuration: configuration)
    }

    static let asyncSale = """
        {"TerminalId":"\(terminalId)","MerchantUniqueCode":"\(merchantUniqueCode)","Amount":22.10,"CurrencyId":1,\
        "DisplayCode":"T-1","CallbackAddress":"https://merchant.test/cb","Methods":[{"PaymentMethodId":1}],\
        "Customer":{"Type":1,"FirstName":"Ayşe","LastName":"Yılmaz","Email":"a@example.test"},\
        "Products":[{"Name":"Çay","TaxGroupId":10,"UnitCodeId":1,"Amount":5.05,"Quantity":2},\
        {"Name":"Simit","TaxGroupId":10,"UnitCodeId":1,"Amount":12.00,"Quantity":1}],\
        "SkipPrintCustomer":false}
        """

    static let syncSale = """
        {"TerminalTagCode":"till-7","MerchantUniqueCode":"\(merchantUniqueCode)","Amount":100,"CurrencyId":"TRY",\
        "SendNotificationDeviceDisconnected":true,"Products":[{"Name":"Service","TaxGroupId":20,"UnitCodeId":4,\
        "Amount":100,"Quantity":1}]}
        """

    /// The payload of each kind as a producer writes it (follow-ups without PaymentRequestId).
    static func payload(_ kind: CommandKind) -> String {
        switch kind {
        case .asyncSale: asyncSale
        case .syncSale: syncSale
        case .asyncCancel, .syncSaleRollback, .syncCancelRollback: "{}"
        case .syncCancel: #"{"SendNotificationDeviceDisconnected":false}"#
        case .asyncPairRequest: #"{"TerminalTagCode":"till-7"}"#
        case .asyncPairConfirm: #"{"PairAsyncRequestId":"\#(pairAsyncRequestId)"}"#
        case .syncPairRequest: #"{"TerminalId":"\#(terminalId)"}"#
        case .marketplaceApprove: #"{"PaymentId":987654}"#
        }
    }

    static func paymentRequestId(for kind: CommandKind) -> String? {
        kind.role == .followUp ? paymentRequestId : nil
    }
}
