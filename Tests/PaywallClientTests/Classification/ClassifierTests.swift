import OutboxModel
import Testing

@testable import PaywallClient

@Suite("Answer classification")
struct ClassifierTests {
    static let classifier = AnswerClassifier()
    static let catalog = PaywallCatalog()
    static let now: EpochMillis = 1_700_000_000_000  // 2023-11-14T22:13:20Z

    /// The outcome's shape, for tables.
    enum Shape: String, Sendable {
        case succeeded, transient, unknown, rejected, unavailable
        case duplicate, cancelled, approved, rolledBack, probe
    }

    static func shape(_ outcome: PaywallOutcome) -> Shape {
        switch outcome {
        case .succeeded: .succeeded
        case .alreadyDone(.duplicateMerchantUniqueCode, _): .duplicate
        case .alreadyDone(.alreadyCancelled, _): .cancelled
        case .alreadyDone(.alreadyApproved, _): .approved
        case .alreadyDone(.alreadyRolledBack, _): .rolledBack
        case .transient: .transient
        case .outcomeUnknown: .unknown
        case .rejected: .rejected
        case .unavailable: .unavailable
        case .invalid: .rejected
        case .credentialsInDoubt: .probe
        }
    }

    static func classify(
        _ operation: PaywallOperation, status: Int, body: String, headers: [(String, String)] = [],
        rules: ClassificationRules = .default
    ) -> PaywallOutcome {
        AnswerClassifier(rules: rules).classify(
            .response(PaywallHTTPResponse(status: status, headers: PaywallHeaders(headers), text: body)),
            endpoint: catalog.endpoint(for: operation), now: now)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var operation: PaywallOperation
        var status: Int
        var body: String
        var expected: Shape
        var testDescription: String { name }
    }

    static let sale = PaywallOperation.command(.asyncSale)
    static let syncSale = PaywallOperation.command(.syncSale)
    static let cancel = PaywallOperation.command(.asyncCancel)
    static let syncCancel = PaywallOperation.command(.syncCancel)
    static let rollback = PaywallOperation.command(.syncSaleRollback)
    static let approve = PaywallOperation.command(.marketplaceApprove)
    static let pair = PaywallOperation.command(.asyncPairRequest)
    static let prid = Fixtures.paymentRequestId

    static let rows: [Row] = [
        // Physical envelope, success, both casings.
        Row(
            name: "physical success PascalCase", operation: sale, status: 200,
            body:
                #"{"Result":{"PaymentRequestId":"\#(prid)","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false}"#,
            expected: .succeeded),
        Row(
            name: "physical success camelCase", operation: cancel, status: 200,
            body:
                #"{"result":{"paymentRequestId":"\#(prid)","paymentStatus":4},"errorCode":0,"succeeded":true,"failed":false}"#,
            expected: .succeeded),
        Row(
            name: "sale success without PaymentRequestId → unknown", operation: syncSale, status: 200,
            body: #"{"Result":{"PaymentStatus":2},"ErrorCode":0,"Succeeded":true}"#, expected: .unknown),
        Row(
            name: "cancel success without PaymentRequestId → succeeded", operation: cancel, status: 200,
            body: #"{"result":{"paymentStatus":4},"succeeded":true}"#, expected: .succeeded),
        Row(
            name: "physical success with only ErrorCode 0 and Result", operation: pair, status: 200,
            body: #"{"Result":{"PairCode":"123456"},"ErrorCode":0}"#, expected: .succeeded),
        // Physical failures.
        Row(
            name: "physical failure unknown code → rejected", operation: sale, status: 200,
            body:
                #"{"Result":null,"ErrorCode":777,"Succeeded":false,"Failed":true,"Message":"Terminal bulunamadı","ClientMessage":"TerminalNotFound"}"#,
            expected: .rejected),
        Row(
            name: "physical failure on HTTP 400 → rejected", operation: syncSale, status: 400,
            body: #"{"errorCode":12,"succeeded":false,"failed":true,"message":"bad"}"#, expected: .rejected),
        Row(
            name: "physical failure on HTTP 404 with envelope → rejected", operation: cancel, status: 404,
            body: #"{"ErrorCode":56,"Succeeded":false,"Failed":true,"Message":"Payment not found"}"#,
            expected: .rejected),
        // Duplicate MerchantUniqueCode: never by a bare number on the Physical API (S2: on the
        // general numbering 4 means "header missing").
        Row(
            name: "bare ErrorCode 4 on a sale is not a duplicate", operation: sale, status: 200,
            body: #"{"ErrorCode":4,"Succeeded":false,"Failed":true,"Message":"x"}"#, expected: .rejected),
        Row(
            name: "bare ErrorCode 119 camelCase is not a duplicate", operation: syncSale, status: 200,
            body: #"{"errorCode":119,"succeeded":false,"failed":true}"#, expected: .rejected),
        Row(
            name: "duplicate MUC by ClientMessage", operation: sale, status: 400,
            body: #"{"ErrorCode":9001,"Failed":true,"ClientMessage":"MerchantUniqueCodeAlreadyExist"}"#,
            expected: .duplicate),
        Row(
            name: "duplicate MUC by Message", operation: syncSale, status: 200,
            body: #"{"ErrorCode":9001,"Failed":true,"Message":"Merchant unique code already exists."}"#,
            expected: .duplicate),
        Row(
            name: "code 4 on a cancel is not a duplicate", operation: cancel, status: 200,
            body: #"{"ErrorCode":4,"Failed":true}"#, expected: .rejected),
        // Already cancelled.
        Row(
            name: "bare code 94 on a cancel is not 'already cancelled'", operation: cancel, status: 200,
            body: #"{"errorCode":94,"succeeded":false,"failed":true}"#, expected: .rejected),
        Row(
            name: "already cancelled by message", operation: syncCancel, status: 200,
            body: #"{"ErrorCode":500123,"Failed":true,"Message":"Payment already cancelled"}"#, expected: .cancelled),
        Row(
            name: "already cancelled message on a sale is rejected", operation: sale, status: 200,
            body: #"{"ErrorCode":1,"Failed":true,"Message":"Payment already cancelled"}"#, expected: .rejected),
        Row(
            name: "already rolled back by message", operation: rollback, status: 200,
            body: #"{"ErrorCode":1,"Failed":true,"Message":"Command already rolled back"}"#, expected: .rolledBack),
        Row(
            name: "rollback refused by Paywall's string → rejected (the worker decides with a fresh inquiry)",
            operation: rollback, status: 200,
            body: #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Payment.Async.NotConvenientStatusForThisOperation"}"#,
            expected: .rejected),
        // PaymentAPI envelope (marketplace approve), both casings.
        Row(
            name: "approve success", operation: approve, status: 200,
            body:
                #"{"ErrorCode":0,"Result":true,"Message":"","Body":{"Success":[{"ProductId":1},{"ProductId":2}],"Fail":[]}}"#,
            expected: .succeeded),
        Row(
            name: "approve success camelCase", operation: approve, status: 200,
            body: #"{"errorCode":0,"result":true,"body":{"success":[{"productId":1}],"fail":[]}}"#, expected: .succeeded
        ),
        Row(
            name: "approve repeated: every product already approved", operation: approve, status: 200,
            body:
                #"{"ErrorCode":1,"Result":false,"Message":"","Body":{"Success":[],"Fail":[{"ProductId":1,"Reason":"This product already approved"},{"ProductId":2,"Reason":"This product already approved"}]}}"#,
            expected: .approved),
        Row(
            name: "approve repeated camelCase", operation: approve, status: 200,
            body:
                #"{"errorCode":1,"result":false,"body":{"success":[],"fail":[{"productId":1,"reason":"This product already approved"}]}}"#,
            expected: .approved),
        Row(
            name: "approve: some already approved, one other failure → rejected", operation: approve, status: 200,
            body:
                #"{"ErrorCode":1,"Result":false,"Body":{"Success":[],"Fail":[{"ProductId":1,"Reason":"This product already approved"},{"ProductId":2,"Reason":"This product marketplace earning calculated not found"}]}}"#,
            expected: .rejected),
        Row(
            name: "approve: success flag with failed products → rejected (partial)", operation: approve, status: 200,
            body:
                #"{"ErrorCode":0,"Result":true,"Body":{"Success":[{"ProductId":1}],"Fail":[{"ProductId":2,"Reason":"other"}]}}"#,
            expected: .rejected),
        Row(
            name: "approve payment not found (32) → rejected", operation: approve, status: 200,
            body: #"{"ErrorCode":32,"Result":false,"Message":"Payment not found"}"#, expected: .rejected),
        Row(
            name: "approve code 303 → already approved", operation: approve, status: 200,
            body: #"{"ErrorCode":303,"Result":false}"#, expected: .approved),
        Row(
            name: "approve ErrorCode 0 but Result false → unknown", operation: approve, status: 200,
            body: #"{"ErrorCode":0,"Result":false}"#, expected: .unknown),
        // HTTP-level.
        Row(name: "401 → unavailable", operation: sale, status: 401, body: "", expected: .unavailable),
        Row(
            name: "403 with envelope → unavailable", operation: approve, status: 403,
            body: #"{"ErrorCode":403,"Result":false}"#, expected: .unavailable),
        Row(
            name: "404 HTML → unavailable (wrong base address)", operation: sale, status: 404,
            body: "<html>Not Found</html>", expected: .unavailable),
        Row(name: "405 no body → unavailable", operation: pair, status: 405, body: "", expected: .unavailable),
        Row(name: "301 → unavailable", operation: sale, status: 301, body: "", expected: .unavailable),
        Row(name: "408 → transient", operation: sale, status: 408, body: "", expected: .transient),
        Row(name: "429 → transient", operation: approve, status: 429, body: "", expected: .transient),
        Row(name: "503 → transient", operation: sale, status: 503, body: "busy", expected: .transient),
        Row(name: "500 on a sale → unknown", operation: sale, status: 500, body: "oops", expected: .unknown),
        Row(name: "502 on a cancel → unknown", operation: cancel, status: 502, body: "", expected: .unknown),
        Row(name: "504 on approve → unknown", operation: approve, status: 504, body: "", expected: .unknown),
        Row(
            name: "500 with failure envelope on a sale → unknown", operation: sale, status: 500,
            body: #"{"ErrorCode":1,"Failed":true}"#, expected: .unknown),
        Row(
            name: "500 with duplicate string → duplicate", operation: sale, status: 500,
            body: #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Payment.Async.MerchantUniqueCodeAlreadyExists"}"#,
            expected: .duplicate),
        Row(name: "500 on pair request → transient", operation: pair, status: 500, body: "", expected: .transient),
        Row(
            name: "500 on inquiry → transient", operation: .paymentInquiry, status: 500, body: "", expected: .transient),
        Row(name: "409 no envelope on a sale → unknown", operation: sale, status: 409, body: "", expected: .unknown),
        Row(
            name: "400 ProblemDetails (no envelope) → rejected", operation: sale, status: 400,
            body: #"{"title":"One or more validation errors occurred.","status":400}"#, expected: .rejected),
        // Unreadable / ambiguous answers.
        Row(name: "200 empty body on a sale → unknown", operation: sale, status: 200, body: "", expected: .unknown),
        Row(
            name: "200 HTML on a cancel → unknown", operation: cancel, status: 200, body: "<html/>", expected: .unknown),
        Row(
            name: "200 truncated JSON on approve → unknown", operation: approve, status: 200,
            body: #"{"ErrorCode":0,"Res"#, expected: .unknown),
        Row(
            name: "200 contradictory envelope on a sale → unknown", operation: sale, status: 200,
            body: #"{"ErrorCode":5,"Succeeded":true}"#, expected: .unknown),
        Row(
            name: "200 envelope without signals → unknown", operation: sale, status: 200,
            body: #"{"Result":{"x":1}}"#, expected: .unknown),
        Row(
            name: "200 unreadable on inquiry → transient", operation: .paymentInquiry, status: 200, body: "",
            expected: .transient),
        Row(
            name: "200 inquiry success", operation: .paymentInquiry, status: 200,
            body: #"{"Result":{"PaymentRequestId":"\#(prid)","PaymentStatusId":2},"Succeeded":true}"#,
            expected: .succeeded),
    ]

    @Test("classification table", arguments: rows)
    func table(row: Row) {
        let outcome = Self.classify(row.operation, status: row.status, body: row.body)
        #expect(Self.shape(outcome) == row.expected, "\(outcome)")
    }

    struct TransportRow: Sendable, CustomTestStringConvertible {
        var code: PaywallTransportError.Code
        var operation: PaywallOperation
        var expected: Shape
        var testDescription: String { "\(code.rawValue) on \(operation.name)" }
    }

    static let transportRows: [TransportRow] = [
        .init(code: .connectionRefused, operation: sale, expected: .transient),
        .init(code: .connectTimeout, operation: approve, expected: .transient),
        .init(code: .notStarted, operation: sale, expected: .transient),
        .init(code: .dnsFailure, operation: sale, expected: .unavailable),
        .init(code: .tlsFailure, operation: approve, expected: .unavailable),
        .init(code: .networkUnreachable, operation: cancel, expected: .unavailable),
        .init(code: .invalidURL, operation: .paymentInquiry, expected: .unavailable),
        .init(code: .readTimeout, operation: sale, expected: .unknown),
        .init(code: .connectionClosed, operation: cancel, expected: .unknown),
        .init(code: .deadlineExceeded, operation: approve, expected: .unknown),
        .init(code: .cancelled, operation: rollback, expected: .unknown),
        .init(code: .other, operation: syncSale, expected: .unknown),
        .init(code: .readTimeout, operation: pair, expected: .unknown),
        .init(code: .readTimeout, operation: .paymentInquiry, expected: .transient),
        .init(code: .deadlineExceeded, operation: .paymentList, expected: .transient),
    ]

    @Test("transport failures", arguments: transportRows)
    func transport(row: TransportRow) {
        let outcome = Self.classifier.classify(
            .failure(PaywallTransportError(code: row.code)), endpoint: Self.catalog.endpoint(for: row.operation),
            now: Self.now)
        #expect(Self.shape(outcome) == row.expected, "\(outcome)")
    }

    @Test("every transport code is covered and 'nothing sent' is never unknown")
    func transportCodesCovered() {
        #expect(Set(Self.transportRows.map(\.code)) == Set(PaywallTransportError.Code.allCases))
        for code in PaywallTransportError.Code.allCases {
            let outcome = Self.classifier.classify(
                .failure(PaywallTransportError(code: code)), endpoint: Self.catalog.endpoint(for: Self.sale),
                now: Self.now)
            let error = PaywallTransportError(code: code)
            #expect(error.requestMayHaveBeenSent == (Self.shape(outcome) == .unknown), "\(code)")
        }
    }

    @Test(
        "Retry-After: seconds and HTTP dates",
        arguments: [
            ("120", Duration.seconds(120)),
            ("0", .seconds(0)),
            ("Tue, 14 Nov 2023 22:13:50 GMT", .seconds(30)),
            ("Tuesday, 14-Nov-23 22:14:20 GMT", .seconds(60)),
            ("Tue Nov 14 22:13:25 2023", .seconds(5)),
            ("Mon, 13 Nov 2023 00:00:00 GMT", .seconds(0)),
        ])
    func retryAfter(header: String, expected: Duration) {
        let outcome = Self.classify(Self.sale, status: 429, body: "", headers: [("Retry-After", header)])
        guard case .transient(let retryAfter, _) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(retryAfter == expected)
    }

    @Test("Retry-After garbage or absent → worker's backoff")
    func retryAfterGarbage() {
        for headers in [[("Retry-After", "soon")], []] {
            guard case .transient(let retryAfter, _) = Self.classify(Self.sale, status: 503, body: "", headers: headers)
            else {
                Issue.record("not transient")
                continue
            }
            #expect(retryAfter == nil)
        }
    }

    @Test("retry-later answers use the configured delay unless Retry-After says otherwise")
    func retryLaterDelay() {
        let body = #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Pair.Async.ConfirmNotCompleted"}"#
        let confirm = PaywallOperation.command(.asyncPairConfirm)
        guard case .transient(let delay, let problem) = Self.classify(confirm, status: 200, body: body) else {
            Issue.record("not transient")
            return
        }
        #expect(delay == .seconds(2))
        #expect(problem.code == .retryLater)
    }

    @Test("fallback patterns are configuration; configured numbers never decide a Physical answer")
    func configurable() {
        let body = #"{"ErrorCode":42,"Failed":true,"ClientMessage":"DUPLICATE_ORDER"}"#
        #expect(Self.shape(Self.classify(Self.sale, status: 200, body: body)) == .rejected)
        var byCode = ClassificationRules.default
        byCode.alreadyDone[.duplicateMerchantUniqueCode] = .init(errorCodes: [42])
        #expect(Self.shape(Self.classify(Self.sale, status: 200, body: body, rules: byCode)) == .rejected)
        var byPattern = ClassificationRules.default
        byPattern.alreadyDone[.duplicateMerchantUniqueCode] = .init(messagePatterns: ["duplicate_order"])
        #expect(Self.shape(Self.classify(Self.sale, status: 200, body: body, rules: byPattern)) == .duplicate)
        // PaymentAPI answers keep their numbers: a configured code decides there.
        var approveCode = ClassificationRules.default
        approveCode.alreadyDone[.alreadyApproved] = .init(errorCodes: [35])
        #expect(
            Self.shape(
                Self.classify(Self.approve, status: 200, body: #"{"ErrorCode":35,"Result":false}"#, rules: approveCode))
                == .approved)
    }

    @Test("rejections keep ErrorCode, Message and ClientMessage verbatim")
    func verbatim() {
        let outcome = Self.classify(
            Self.sale, status: 200,
            body:
                #"{"ErrorCode":"E-77","Succeeded":false,"Failed":true,"Message":"Terminal meşgul  ","ClientMessage":"TerminalBusy"}"#
        )
        guard case .rejected(let answer) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(answer.errorCodeText == "E-77")
        #expect(answer.errorCode == nil)
        #expect(answer.message == "Terminal meşgul  ")
        #expect(answer.clientMessage == "TerminalBusy")
        #expect(answer.httpStatus == 200)
        #expect(outcome.recordName == "rejected")
    }

    @Test("duplicate MUC needs reconciliation; outcome unknown too")
    func needsReconcile() {
        #expect(
            Self.classify(
                Self.sale, status: 200,
                body: #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Payment.Async.MerchantUniqueCodeAlreadyExists"}"#
            ).needsReconcile)
        #expect(Self.classify(Self.sale, status: 500, body: "").needsReconcile)
        #expect(
            !Self.classify(
                Self.cancel, status: 200,
                body: #"{"ErrorCode":1,"Failed":true,"ClientMessage":"Payment.Async.AlreadyHasRefundOrCancel"}"#
            ).needsReconcile)
        #expect(!Self.classify(Self.sale, status: 503, body: "").needsReconcile)
    }
}
