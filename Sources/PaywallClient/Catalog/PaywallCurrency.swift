/// The currencies Paywall documents for `CurrencyId`
/// (`docs/fiziksel-pos/sistem-verileri/para-birimi.md`, API-NOTES S5): the raw value is the id.
public enum PaywallCurrency: Int, Sendable, Hashable, CaseIterable {
    /// Turkish lira.
    case turkishLira = 1
    /// US dollar.
    case usDollar = 2
    /// Euro.
    case euro = 3
    /// Bosnia and Herzegovina convertible mark.
    case convertibleMark = 4
    /// Macedonian denar.
    case denar = 5
    /// Albanian lek.
    case lek = 6
    /// Pound sterling.
    case poundSterling = 7

    /// The ISO 4217 code Paywall's table names (`TRY`, `USD`, ...).
    public var code: String {
        switch self {
        case .turkishLira: "TRY"
        case .usDollar: "USD"
        case .euro: "EUR"
        case .convertibleMark: "BAM"
        case .denar: "MKD"
        case .lek: "ALL"
        case .poundSterling: "GBP"
        }
    }

    /// Decimal places an amount in this currency may have. Paywall's docs say nothing of
    /// precision; every currency it lists has 2 minor units in ISO 4217, so 2 for all.
    public var minorUnits: Int { 2 }

    /// The currency a `CurrencyId` value names: the id as a JSON integer (`1`, as Paywall's
    /// examples send it), or as a string holding the id (`"1"`) or the code (`"TRY"`, exact
    /// upper case), since Paywall's field table types it `string`. `nil` for anything else.
    public init?(jsonValue: JSONValue) {
        switch jsonValue {
        case .number(let literal):
            guard let id = Int(literal) else { return nil }
            self.init(rawValue: id)
        case .string(let text):
            if let id = Int(text), text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                self.init(rawValue: id)
            } else if let found = Self.allCases.first(where: { $0.code == text }) {
                self = found
            } else {
                return nil
            }
        default:
            return nil
        }
    }

    /// `1 (TRY), 2 (USD), ...` for messages.
    public static var listing: String {
        allCases.map { "\($0.rawValue) (\($0.code))" }.joined(separator: ", ")
    }
}
