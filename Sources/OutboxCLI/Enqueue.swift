import ArgumentParser
import Foundation
import OutboxModel
import OutboxStore
import PaywallClient

/// A command ready to queue: the row a producer would INSERT.
public struct EnqueueDraft: Sendable, Hashable {
    /// The kind.
    public var kind: CommandKind
    /// The command key (for a sale: its MerchantUniqueCode).
    public var commandKey: String
    /// The payload.
    public var payload: JSONValue
    /// For follow-ups: the sale's MerchantUniqueCode.
    public var saleKey: String?
    /// For follow-ups: the sale's PaymentRequestId.
    public var paymentRequestId: String?
    /// Whether keys the catalog does not list may be queued (`--allow-unknown-fields`, for a
    /// worker run with the same flag).
    public var unknownFields: UnknownFieldPolicy = .refuse

    /// Applies the rules of the database and of the worker's validator, so a draft that passes
    /// here is one the worker will send. Throws `CLIError(.refused)` naming the problem.
    public func validate() throws {
        switch kind.role {
        case .sale:
            guard let muc = payload.value(forExactKey: "MerchantUniqueCode")?.stringValue, GUID.isValid(muc) else {
                throw CLIError(.refused, "invalid MerchantUniqueCode: a sale needs it as a GUID")
            }
            guard muc.lowercased() == commandKey.lowercased() else {
                throw CLIError(.refused, "a sale's command key must equal its MerchantUniqueCode (\(muc))")
            }
        case .followUp:
            guard (saleKey == nil) != (paymentRequestId == nil) else {
                throw CLIError(.refused, "a cancel or rollback names its sale by exactly one of --sale-key or --payment-request-id")
            }
            if let saleKey, !GUID.isValid(saleKey) {
                throw CLIError(.refused, "--sale-key must be the sale's MerchantUniqueCode, a GUID")
            }
            if let paymentRequestId, !GUID.isValid(paymentRequestId) {
                throw CLIError(.refused, "--payment-request-id must be a GUID")
            }
            if !payload.keys(matching: "PaymentRequestId").isEmpty {
                throw CLIError(
                    .refused, "a cancel or rollback payload must not carry PaymentRequestId; use --payment-request-id")
            }
        case .standalone:
            guard saleKey == nil && paymentRequestId == nil else {
                throw CLIError(.refused, "only a cancel or rollback names a sale (\(kind.rawValue) does not)")
            }
        }
        guard !commandKey.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError(.refused, "the command key must not be empty")
        }
        // The body as the worker will send it: follow-ups get the sale's PaymentRequestId first
        // (a placeholder when only the sale key is known; its format is checked above; not the
        // all-zero GUID, which the validator refuses).
        var body = payload
        if kind.role == .followUp {
            body = payload.setting(
                "PaymentRequestId", to: .string(paymentRequestId ?? "00000000-0000-4000-8000-000000000000"),
                insertingAt: 0)
        }
        try PaywallRequestValidator.validate(kind: kind, body: body, unknownFields: unknownFields)
    }

    /// The store's row.
    public func newCommand(deadline: EpochMillis?, notBefore: EpochMillis?) -> NewCommand {
        NewCommand(
            commandKey: commandKey, kind: kind, payload: payload.serialized(), saleKey: saleKey,
            paymentRequestId: paymentRequestId, notBefore: notBefore, deadline: deadline)
    }
}

/// Amounts on the command line: exact decimal text, never a floating-point number, within the
/// client's ``AmountRule`` (at most 16 digits before the point and 2 after).
public enum AmountText {
    /// `22.10`, `150`, `0.5`: digits, an optional fraction, no sign, no exponent, not zero.
    public static var pattern: Regex<(Substring, Substring, Substring?)> { #/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$/# }

    /// Whether `text` is a positive exact amount.
    public static func isValid(_ text: String) -> Bool {
        guard text.wholeMatch(of: pattern) != nil else { return false }
        return text.contains(where: { $0 != "0" && $0 != "." })
    }
}

/// Options every `enqueue` form takes.
public struct EnqueueOptions: ParsableArguments, Sendable {
    public init() {}

    /// Deadline.
    @Option(name: .long, help: ArgumentHelp("Never send after: a duration from now or an ISO time.", valueName: "time"))
    public var deadline: TimeSpec?

    /// Not before.
    @Option(name: .long, help: ArgumentHelp("Do not send before: a duration from now or an ISO time.", valueName: "time"))
    public var notBefore: TimeSpec?

    /// Validate only.
    @Flag(name: .long, help: "Validate and print the row; queue nothing.")
    public var dryRun = false
}

/// Shared by the `enqueue` forms: validate, insert, print the key.
func queue(
    _ draft: EnqueueDraft, options: EnqueueOptions, global: GlobalOptions, console: Console
) async throws {
    try await report(console, json: global.json) {
        try draft.validate()
        if options.dryRun {
            let now = console.clock.now()
            let command = draft.newCommand(
                deadline: options.deadline?.future(now: now), notBefore: options.notBefore?.future(now: now))
            if global.json {
                var json = ActionJSON(action: "enqueue", done: false)
                json.command_key = draft.commandKey
                json.kind = draft.kind.rawValue
                console.line(Render.json(json))
            } else {
                console.note("valid; nothing queued (--dry-run): \(draft.kind.rawValue) \(command.payload)")
                console.line(draft.commandKey)
            }
            return
        }
        try await global.withStore(console, .write) { store, console in
            // Deadlines from the database's clock (the server's, on PostgreSQL).
            let now = console.clock.now()
            let command = draft.newCommand(
                deadline: options.deadline?.future(now: now), notBefore: options.notBefore?.future(now: now))
            let result = try await store.enqueue(command, actor: console.actor, now: now)
            let inserted: Bool
            switch result {
            case .inserted(let id):
                inserted = true
                if !global.json { console.note("queued #\(id) \(draft.kind.rawValue)") }
            case .alreadyQueued(let id):
                // The same key is harmless only for the same command: a different one under a key
                // already used would be silently dropped.
                if let existing = try await store.command(id: id),
                    let difference = EnqueueConflict.difference(existing, command)
                {
                    throw CLIError(
                        .refused,
                        "a different command is already queued under \(draft.commandKey) (#\(id)): \(difference) differ; "
                            + "nothing changed; the queued command stands (outbox inspect show \(draft.commandKey))")
                }
                inserted = false
                if !global.json { console.note("already queued as #\(id); nothing changed") }
            }
            if global.json {
                var json = ActionJSON(action: "enqueue", done: true)
                json.id = result.id
                json.command_key = draft.commandKey
                json.kind = draft.kind.rawValue
                json.inserted = inserted
                console.line(Render.json(json))
            } else {
                console.line(draft.commandKey)
            }
        }
    }
}

/// `outbox enqueue` with a key already used: the same command is harmless, another is refused.
enum EnqueueConflict {
    /// Which parts of a queued command differ from a new one with the same key; nil when none.
    static func difference(_ existing: OutboxCommand, _ new: NewCommand) -> String? {
        var parts: [String] = []
        if existing.kindName != new.kindName { parts.append("kind") }
        // Byte for byte, as the schema compares them (Swift's == would call NFC and NFD equal).
        if !existing.payload.utf8.elementsEqual(new.payload.utf8) { parts.append("payload") }
        if existing.saleKey?.lowercased() != new.saleKey?.lowercased() { parts.append("sale_key") }
        if existing.paymentRequestId?.lowercased() != new.paymentRequestId?.lowercased() {
            parts.append("payment_request_id")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

/// Reads a GUID option.
func guidOrThrow(_ text: String?, _ flag: String) throws -> String? {
    guard let text else { return nil }
    guard GUID.isValid(text) else { throw ValidationError("\(flag) must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)") }
    return text
}

/// `outbox enqueue`.
public struct Enqueue: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Queue a command, validated like the database and the worker do. Prints its key.",
        discussion: """
            Use a form below, or --kind with --payload-file (a JSON object with Paywall's field names; '-' reads stdin). Queuing the same key twice is harmless: the first row wins. Prints the command key on stdout (for a sale, its MerchantUniqueCode).

            Examples:
              outbox enqueue sale --terminal-tag STORE1-TILL2 --amount 22.10
              outbox enqueue cancel --sale-key 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61
              outbox enqueue --kind sync_sale --payload-file sale.json
            """,
        subcommands: [Payload.self, Sale.self, Cancel.self, Rollback.self, Approve.self, PairRequest.self, PairConfirm.self],
        defaultSubcommand: Payload.self)

    /// `outbox enqueue --kind K --payload-file F` (also `outbox enqueue payload ...`).
    public struct Payload: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Queue any kind from a JSON payload file (the default form of `outbox enqueue`).",
            discussion: """
                The payload is the Paywall request body with Paywall's field names. A sale's key is its MerchantUniqueCode; a cancel or rollback names its sale with --sale-key or --payment-request-id and leaves PaymentRequestId out of the payload.

                Examples:
                  outbox enqueue --kind async_sale --payload-file sale.json
                  echo '{}' | outbox enqueue --kind async_cancel --sale-key 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61 --payload-file -
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions

        /// The kind.
        @Option(name: .long, help: ArgumentHelp("The command kind, e.g. async_sale.", valueName: "kind"))
        public var kind: String

        /// The payload file.
        @Option(name: .long, help: ArgumentHelp("The payload JSON file ('-' for stdin).", valueName: "file"))
        public var payloadFile: String

        /// The key.
        @Option(
            name: .long,
            help: ArgumentHelp("Command key (default: a new GUID; for a sale: its MerchantUniqueCode).", valueName: "key"))
        public var key: String?

        /// Sale key.
        @Option(name: .long, help: ArgumentHelp("For a cancel or rollback: the sale's MerchantUniqueCode.", valueName: "guid"))
        public var saleKey: String?

        /// Payment request id.
        @Option(name: .long, help: ArgumentHelp("For a cancel or rollback: the sale's PaymentRequestId.", valueName: "guid"))
        public var paymentRequestId: String?

        /// Unknown fields.
        @Flag(
            name: .long,
            help:
                "Queue payload keys Paywall's documented fields do not include (only useful with a worker run with --allow-unknown-fields; otherwise the worker refuses them).")
        public var allowUnknownFields = false

        public func validate() throws {
            guard CommandKind(rawValue: kind) != nil else {
                throw ValidationError(
                    "unknown kind '\(kind)'; use one of \(CommandKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        /// Builds the draft from the payload text.
        public func draft(payloadText: String) throws -> EnqueueDraft {
            guard let kind = CommandKind(rawValue: kind) else { throw CLIError(.usage, "unknown kind \(self.kind)") }
            let payload: JSONValue
            do {
                payload = try JSONValue.parse(payloadText)
            } catch {
                throw CLIError(.refused, "the payload is not valid JSON: \(error)")
            }
            guard case .object = payload else { throw CLIError(.refused, "the payload must be a JSON object") }
            var commandKey = key ?? UUID().uuidString.lowercased()
            if kind.role == .sale, key == nil, let muc = payload.value(forExactKey: "MerchantUniqueCode")?.stringValue {
                commandKey = muc
            }
            return EnqueueDraft(
                kind: kind, commandKey: commandKey, payload: payload, saleKey: saleKey, paymentRequestId: paymentRequestId,
                unknownFields: allowUnknownFields ? .passThrough : .refuse)
        }

        public func run() async throws {
            let console = Console.live
            try await report(console, json: global.json) {
                let text: String
                if payloadFile == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    guard let data = FileManager.default.contents(atPath: payloadFile) else {
                        throw CLIError(.notFound, "cannot read payload file \(payloadFile)")
                    }
                    text = String(decoding: data, as: UTF8.self)
                }
                try await queue(try draft(payloadText: text), options: options, global: global, console: console)
            }
        }
    }

    /// `outbox enqueue sale`.
    public struct Sale: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Queue a sale (async_sale, or sync_sale with --sync).",
            discussion: """
                The amount is exact decimal text (22.10 reaches Paywall as 22.10). The MerchantUniqueCode is generated unless given; it is printed: keep it, it is the sale's only idempotency key.

                Examples:
                  outbox enqueue sale --terminal-tag STORE1-TILL2 --amount 22.10 --display-code R-1042
                  outbox enqueue sale --sync --terminal-id 0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40 --amount 150 --deadline 2m
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions

        @Option(name: .long, help: ArgumentHelp("The terminal's TerminalTagCode (vendor app).", valueName: "tag"))
        public var terminalTag: String?
        @Option(name: .long, help: ArgumentHelp("The terminal's TerminalId (a GUID).", valueName: "guid"))
        public var terminalId: String?
        @Option(name: .long, help: ArgumentHelp("The amount, exact decimal text: 22.10.", valueName: "amount"))
        public var amount: String
        @Option(name: .long, help: ArgumentHelp("CurrencyId (default 1).", valueName: "id"))
        public var currency = "1"
        @Flag(name: .long, help: "A sync_sale (terminal running Paywall's app) instead of async_sale.")
        public var sync = false
        @Option(name: .long, help: ArgumentHelp("The MerchantUniqueCode (default: a new GUID).", valueName: "guid"))
        public var merchantUniqueCode: String?
        @Option(name: .long, help: ArgumentHelp("DisplayCode shown on the terminal (e.g. the receipt number).", valueName: "text"))
        public var displayCode: String?
        @Flag(name: .long, help: "sync only: SendNotificationDeviceDisconnected.")
        public var notifyDisconnected = false
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Name of the one product line (Paywall requires Products; default: the display code, else Sale).",
                valueName: "text"))
        public var productName: String?
        @Option(name: .long, help: ArgumentHelp("The line's TaxGroupId: 0, 1, 10 or 20 (default 20).", valueName: "id"))
        public var taxGroup = 20
        @Option(name: .long, help: ArgumentHelp("The line's UnitCodeId (default 4, piece).", valueName: "id"))
        public var unitCode = 4

        public func validate() throws {
            guard (terminalTag == nil) != (terminalId == nil) else {
                throw ValidationError("give exactly one of --terminal-tag or --terminal-id")
            }
            _ = try guidOrThrow(terminalId, "--terminal-id")
            _ = try guidOrThrow(merchantUniqueCode, "--merchant-unique-code")
            guard AmountText.isValid(amount) else {
                throw ValidationError("--amount must be a positive decimal like 22.10 (digits and an optional fraction)")
            }
            guard Int(currency) != nil || !currency.isEmpty else { throw ValidationError("--currency must not be empty") }
            if notifyDisconnected && !sync { throw ValidationError("--notify-disconnected needs --sync") }
            guard RequestBodies.taxGroups.contains(taxGroup) else {
                throw ValidationError("--tax-group must be one of 0, 1, 10, 20")
            }
            guard unitCode >= 1 else { throw ValidationError("--unit-code must be a positive integer") }
        }

        /// The draft; `generate` makes the MerchantUniqueCode when none was given.
        public func draft(generate: () -> String = { UUID().uuidString.lowercased() }) -> EnqueueDraft {
            let muc = merchantUniqueCode ?? generate()
            var members: [JSONValue.Member] = []
            if let terminalTag { members.append(.init("TerminalTagCode", .string(terminalTag))) }
            if let terminalId { members.append(.init("TerminalId", .string(terminalId))) }
            members.append(.init("MerchantUniqueCode", .string(muc)))
            members.append(.init("Amount", .number(amount)))
            members.append(.init("CurrencyId", Int(currency) != nil ? .number(currency) : .string(currency)))
            if let displayCode { members.append(.init("DisplayCode", .string(displayCode))) }
            if notifyDisconnected { members.append(.init("SendNotificationDeviceDisconnected", .bool(true))) }
            // Paywall requires Products (S4): one line of the whole amount.
            let product: JSONValue = .object([
                .init("Name", .string(productName ?? displayCode ?? "Sale")),
                .init("TaxGroupId", .number(String(taxGroup))), .init("UnitCodeId", .number(String(unitCode))),
                .init("Amount", .number(amount)), .init("Quantity", .number("1")),
            ])
            members.append(.init("Products", .array([product])))
            return EnqueueDraft(kind: sync ? .syncSale : .asyncSale, commandKey: muc, payload: .object(members))
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }

    /// Names the sale a follow-up acts on.
    public struct SaleReference: ParsableArguments, Sendable {
        public init() {}

        @Option(name: .long, help: ArgumentHelp("The sale's MerchantUniqueCode (sale queued here).", valueName: "guid"))
        public var saleKey: String?
        @Option(name: .long, help: ArgumentHelp("The sale's PaymentRequestId, when you have it.", valueName: "guid"))
        public var paymentRequestId: String?
        @Option(name: .long, help: ArgumentHelp("This command's key (default: a new GUID).", valueName: "key"))
        public var key: String?

        public func validate() throws {
            guard (saleKey == nil) != (paymentRequestId == nil) else {
                throw ValidationError("give exactly one of --sale-key or --payment-request-id")
            }
            _ = try guidOrThrow(saleKey, "--sale-key")
            _ = try guidOrThrow(paymentRequestId, "--payment-request-id")
        }
    }

    /// `outbox enqueue cancel`.
    public struct Cancel: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Queue a cancel of a sale (async_cancel, or sync_cancel with --sync).",
            discussion: """
                The worker sends it once the sale has a PaymentRequestId.

                Examples:
                  outbox enqueue cancel --sale-key 3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61
                  outbox enqueue cancel --sync --payment-request-id 7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions
        @OptionGroup public var sale: SaleReference
        @Flag(name: .long, help: "A sync_cancel instead of async_cancel.")
        public var sync = false
        @Flag(name: .long, help: "sync only: SendNotificationDeviceDisconnected.")
        public var notifyDisconnected = false
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Name of the one product line (Paywall requires Products; default: the display code, else Sale).",
                valueName: "text"))
        public var productName: String?
        @Option(name: .long, help: ArgumentHelp("The line's TaxGroupId: 0, 1, 10 or 20 (default 20).", valueName: "id"))
        public var taxGroup = 20
        @Option(name: .long, help: ArgumentHelp("The line's UnitCodeId (default 4, piece).", valueName: "id"))
        public var unitCode = 4

        public func validate() throws {
            if notifyDisconnected && !sync { throw ValidationError("--notify-disconnected needs --sync") }
            guard RequestBodies.taxGroups.contains(taxGroup) else {
                throw ValidationError("--tax-group must be one of 0, 1, 10, 20")
            }
            guard unitCode >= 1 else { throw ValidationError("--unit-code must be a positive integer") }
        }

        public func draft() -> EnqueueDraft {
            EnqueueDraft(
                kind: sync ? .syncCancel : .asyncCancel, commandKey: sale.key ?? UUID().uuidString.lowercased(),
                payload: .object(notifyDisconnected ? [.init("SendNotificationDeviceDisconnected", .bool(true))] : []),
                saleKey: sale.saleKey, paymentRequestId: sale.paymentRequestId)
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }

    /// `outbox enqueue rollback`.
    public struct Rollback: AsyncParsableCommand {
        public init() {}

        /// What the rollback revokes.
        public enum Target: String, ExpressibleByArgument, CaseIterable, Sendable {
            case sale, cancel
        }

        public static let configuration = CommandConfiguration(
            abstract: "Queue a rollback: revoke a sync sale (or a sync cancel) before the terminal takes it.",
            discussion: """
                The worker sends it only while it can work (from 5 s after Paywall accepted the sale).

                Examples:
                  outbox enqueue rollback --sale-key 9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f
                  outbox enqueue rollback --of cancel --payment-request-id 7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions
        @OptionGroup public var sale: SaleReference
        @Option(name: .long, help: "What to revoke: sale (sync_sale_rollback) or cancel (sync_cancel_rollback).")
        public var of: Target = .sale

        public func draft() -> EnqueueDraft {
            EnqueueDraft(
                kind: of == .sale ? .syncSaleRollback : .syncCancelRollback,
                commandKey: sale.key ?? UUID().uuidString.lowercased(), payload: .object([]), saleKey: sale.saleKey,
                paymentRequestId: sale.paymentRequestId)
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }

    /// `outbox enqueue approve`.
    public struct Approve: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            abstract: "Queue a marketplace payment approval (marketplace_approve).",
            discussion: """
                Example:
                  outbox enqueue approve --payment-id 48213
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions
        @Option(name: .long, help: ArgumentHelp("PaymentAPI's PaymentId, a positive integer.", valueName: "id"))
        public var paymentId: Int
        @Option(name: .long, help: ArgumentHelp("Command key (default: a new GUID).", valueName: "key"))
        public var key: String?

        public func validate() throws {
            guard paymentId > 0 else { throw ValidationError("--payment-id must be a positive integer") }
        }

        public func draft() -> EnqueueDraft {
            EnqueueDraft(
                kind: .marketplaceApprove, commandKey: key ?? UUID().uuidString.lowercased(),
                payload: .object([.init("PaymentId", .number(String(paymentId)))]))
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }

    /// `outbox enqueue pair-request`.
    public struct PairRequest: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            commandName: "pair-request",
            abstract: "Ask a terminal for a pairing code (async_pair_request, or sync_pair_request with --sync).",
            discussion: """
                Examples:
                  outbox enqueue pair-request --terminal-tag STORE1-TILL2
                  outbox enqueue pair-request --sync --terminal-id 0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions
        @Option(name: .long, help: ArgumentHelp("The terminal's TerminalTagCode.", valueName: "tag"))
        public var terminalTag: String?
        @Option(name: .long, help: ArgumentHelp("The terminal's TerminalId (a GUID).", valueName: "guid"))
        public var terminalId: String?
        @Flag(name: .long, help: "A sync_pair_request instead of async_pair_request.")
        public var sync = false
        @Option(name: .long, help: ArgumentHelp("Command key (default: a new GUID).", valueName: "key"))
        public var key: String?

        public func validate() throws {
            guard (terminalTag == nil) != (terminalId == nil) else {
                throw ValidationError("give exactly one of --terminal-tag or --terminal-id")
            }
            _ = try guidOrThrow(terminalId, "--terminal-id")
        }

        public func draft() -> EnqueueDraft {
            var members: [JSONValue.Member] = []
            if let terminalTag { members.append(.init("TerminalTagCode", .string(terminalTag))) }
            if let terminalId { members.append(.init("TerminalId", .string(terminalId))) }
            return EnqueueDraft(
                kind: sync ? .syncPairRequest : .asyncPairRequest, commandKey: key ?? UUID().uuidString.lowercased(),
                payload: .object(members))
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }

    /// `outbox enqueue pair-confirm`.
    public struct PairConfirm: AsyncParsableCommand {
        public init() {}

        public static let configuration = CommandConfiguration(
            commandName: "pair-confirm",
            abstract: "Confirm a pairing request (async_pair_confirm).",
            discussion: """
                Example:
                  outbox enqueue pair-confirm --pair-request-id 5c4b3a29-1807-4f6e-9d8c-7b6a5f4e3d2c
                """)

        @OptionGroup public var global: GlobalOptions
        @OptionGroup public var options: EnqueueOptions
        @Option(name: .long, help: ArgumentHelp("The PairAsyncRequestId (a GUID).", valueName: "guid"))
        public var pairRequestId: String
        @Option(name: .long, help: ArgumentHelp("Command key (default: a new GUID).", valueName: "key"))
        public var key: String?

        public func validate() throws { _ = try guidOrThrow(pairRequestId, "--pair-request-id") }

        public func draft() -> EnqueueDraft {
            EnqueueDraft(
                kind: .asyncPairConfirm, commandKey: key ?? UUID().uuidString.lowercased(),
                payload: .object([.init("PairAsyncRequestId", .string(pairRequestId))]))
        }

        public func run() async throws { try await queue(draft(), options: options, global: global, console: .live) }
    }
}
