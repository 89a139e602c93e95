/// A payment as the admin API shows it: every ``SimulatedPayment`` field plus `statusName`.
struct PaymentView: Encodable {
    let payment: SimulatedPayment

    private enum Extra: String, CodingKey {
        case statusName
    }

    func encode(to encoder: any Encoder) throws {
        try payment.encode(to: encoder)
        var container = encoder.container(keyedBy: Extra.self)
        try container.encode(payment.status.name, forKey: .statusName)
    }
}
