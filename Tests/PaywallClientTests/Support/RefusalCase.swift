import OutboxModel
import PaywallClient
import Testing

/// One row of a refusal table: a payload breaking exactly one rule, and the error it must give.
struct RefusalCase: Sendable, CustomTestStringConvertible {
    var name: String
    var kind: CommandKind = .asyncSale
    var payload: String
    var code: ValidationError.Code
    var field: String
    var testDescription: String { name }

    init(_ name: String, kind: CommandKind = .asyncSale, _ payload: String, _ code: ValidationError.Code, field: String) {
        self.name = name
        self.kind = kind
        self.payload = payload
        self.code = code
        self.field = field
    }

    /// Builds the payload with `builder` and checks the refusal: code, field path, and a
    /// description that names the field.
    func expectRefused(by builder: PaywallRequestBuilder = Fixtures.builder, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try builder.build(kind: kind, payload: payload, paymentRequestId: Fixtures.paymentRequestId(for: kind))
            Issue.record("accepted: \(payload)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
            if !field.isEmpty {
                #expect(
                    error.description.contains(field), "description must name \(field): \(error.description)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}

/// Builds `payload` as `kind` and expects no refusal.
func expectAccepted(
    _ name: String, kind: CommandKind = .asyncSale, _ payload: String, by builder: PaywallRequestBuilder = Fixtures.builder,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        _ = try builder.build(kind: kind, payload: payload, paymentRequestId: Fixtures.paymentRequestId(for: kind))
    } catch {
        Issue.record("\(name): refused: \(error)", sourceLocation: sourceLocation)
    }
}
