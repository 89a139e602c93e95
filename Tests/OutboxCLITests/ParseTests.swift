import ArgumentParser
import OutboxModel
import OutboxStore
import Testing

@testable import OutboxCLI

/// Parses `arguments` as `outbox` would and returns the leaf command.
func parse<T: ParsableCommand>(_ arguments: [String], as type: T.Type = T.self) throws -> T {
    let command = try OutboxRoot.parseAsRoot(arguments)
    return try #require(command as? T, "parsed \(Swift.type(of: command)), expected \(T.self)")
}

/// Whether `arguments` fail to parse (usage error, exit 64).
func parseFails(_ arguments: [String]) -> Bool {
    do {
        _ = try OutboxRoot.parseAsRoot(arguments)
        return false
    } catch {
        return OutboxRoot.exitCode(for: error).rawValue == 64
    }
}

@Suite("CLI: parsing every command")
struct ParseTests {
    @Test("no arguments and bare `inspect` both mean the overview")
    func defaults() throws {
        let bare = try parse([], as: Inspect.Overview.self)
        #expect(!bare.global.json && bare.global.db == nil && bare.global.busyTimeout == 5)
        let inspect = try parse(["inspect", "--json", "--db", "x.sqlite", "--no-color"], as: Inspect.Overview.self)
        #expect(inspect.global.json && inspect.global.noColor && inspect.global.db == "x.sqlite")
    }

    @Test("--db beats $OUTBOX_DB, which beats ./outbox.sqlite")
    func databasePath() throws {
        let none = try parse(["inspect"], as: Inspect.Overview.self)
        #expect(none.global.databasePath(environment: [:]) == "./outbox.sqlite")
        #expect(none.global.databasePath(environment: ["OUTBOX_DB": "/var/o.sqlite"]) == "/var/o.sqlite")
        let given = try parse(["inspect", "--db", "/tmp/a.sqlite"], as: Inspect.Overview.self)
        #expect(given.global.databasePath(environment: ["OUTBOX_DB": "/var/o.sqlite"]) == "/tmp/a.sqlite")
    }

    @Test("colour only on a terminal, without NO_COLOR, --no-color, --json or TERM=dumb")
    func color() throws {
        func console(tty: Bool, env: [String: String]) -> Console {
            Console(
                out: { _ in }, err: { _ in }, readLine: { nil }, stdinIsTerminal: tty, stdoutIsTerminal: tty,
                environment: env, clock: SystemWallClock())
        }
        let plain = try parse(["inspect"], as: Inspect.Overview.self).global
        #expect(plain.useColor(console(tty: true, env: [:])))
        #expect(!plain.useColor(console(tty: false, env: [:])))
        #expect(!plain.useColor(console(tty: true, env: ["NO_COLOR": "1"])))
        #expect(!plain.useColor(console(tty: true, env: ["TERM": "dumb"])))
        #expect(!(try parse(["inspect", "--no-color"], as: Inspect.Overview.self)).global.useColor(console(tty: true, env: [:])))
        #expect(!(try parse(["inspect", "--json"], as: Inspect.Overview.self)).global.useColor(console(tty: true, env: [:])))
    }

    @Test("inspect list: filters, comma lists, times and limits")
    func list() throws {
        let list = try parse(
            [
                "inspect", "list", "--state", "dead,expired", "--state", "failed", "--kind", "async_sale", "--terminal",
                "T1", "--since", "2h", "--until", "2026-11-21T08:00:00Z", "--key", "3f2b", "--limit", "20",
            ], as: Inspect.List.self)
        #expect(list.states == [.dead, .expired, .failed])
        #expect(list.kinds == ["async_sale"])
        let filter = list.filter(now: 10_000_000)
        #expect(filter.createdFrom == Int64(2_800_000))
        #expect(filter.createdBefore == Int64(1_795_248_000_000))
        #expect(filter.terminal == "T1" && filter.keyPrefix == "3f2b" && filter.limit == 20)
        let defaults = try parse(["inspect", "list"], as: Inspect.List.self)
        #expect(defaults.states == nil && defaults.kinds == nil && defaults.limit == 50)
        #expect(try parse(["inspect", "list", "--id", "42"], as: Inspect.List.self).id == 42)
    }

    @Test(
        "inspect list refuses bad values",
        arguments: [
            ["inspect", "list", "--state", "zombie"], ["inspect", "list", "--kind", "refund"],
            ["inspect", "list", "--limit", "0"], ["inspect", "list", "--since", "yesterday"],
            ["inspect", "list", "--limit", "x"], ["inspect", "--busy-timeout", "-1"],
        ])
    func listRefuses(arguments: [String]) {
        #expect(parseFails(arguments))
    }

    @Test("inspect show: a reference and --reveal")
    func show() throws {
        let show = try parse(["inspect", "show", "3f2b8c1e", "--reveal", "--json"], as: Inspect.Show.self)
        #expect(show.reference == "3f2b8c1e" && show.reveal && show.global.json)
        #expect(!(try parse(["inspect", "show", "42"], as: Inspect.Show.self)).reveal)
        #expect(parseFails(["inspect", "show"]))
        #expect(parseFails(["inspect", "show", " "]))
    }

    @Test("retry: default deadline 15 minutes, --deadline, --keep-deadline, --yes, --note")
    func retry() throws {
        let plain = try parse(["retry", "42"], as: Retry.self)
        #expect(plain.reference == "42" && !plain.confirmation.yes)
        #expect(plain.deadlineChange(now: 1_000) == .at(1_000 + 900_000))
        let hour = try parse(["retry", "42", "--deadline", "1h", "--yes", "--note", "terminal back"], as: Retry.self)
        #expect(hour.deadlineChange(now: 0) == .at(3_600_000) && hour.confirmation.yes && hour.note == "terminal back")
        let absolute = try parse(["retry", "42", "--deadline", "2026-11-21T10:00:00Z", "-y"], as: Retry.self)
        #expect(absolute.deadlineChange(now: 0) == .at(1_795_255_200_000) && absolute.confirmation.yes)
        #expect(try parse(["retry", "42", "--keep-deadline"], as: Retry.self).deadlineChange(now: 5) == .keep)
        #expect(parseFails(["retry", "42", "--keep-deadline", "--deadline", "1h"]))
        #expect(parseFails(["retry"]))
        #expect(parseFails(["retry", "42", "--deadline", "soon"]))
    }

    @Test("discard: reference, --force, --note, --yes")
    func discard() throws {
        let discard = try parse(["discard", "42", "--force", "--note", "dup", "--yes"], as: Discard.self)
        #expect(discard.reference == "42" && discard.force && discard.note == "dup" && discard.confirmation.yes)
        #expect(!(try parse(["discard", "42"], as: Discard.self)).force)
        #expect(parseFails(["discard"]))
    }

    @Test("retry and discard by filter: exactly one of X or filters; states the repair allows; no bulk --force")
    func bulk() throws {
        let retry = try parse(
            ["retry", "--state", "dead,expired", "--kind", "async_sale", "--reason", "attempts_exhausted",
             "--older-than", "2h", "--terminal", "T1", "--deadline", "5m", "--dry-run"], as: Retry.self)
        #expect(retry.reference == nil && retry.filters.dryRun)
        let selection = retry.filters.selection(now: 10_000_000, defaultStates: [.dead, .expired, .failed])
        #expect(selection.states == [.dead, .expired] && selection.kinds == ["async_sale"])
        #expect(selection.reason == "attempts_exhausted" && selection.terminal == "T1")
        let twoHoursBefore: EpochMillis = 10_000_000 - 7_200_000
        #expect(selection.createdBefore == twoHoursBefore)
        let everyDead = try parse(["retry", "--terminal", "T1"], as: Retry.self)
        #expect(everyDead.filters.selection(now: 0, defaultStates: [.dead, .expired, .failed]).states == [.dead, .expired, .failed])
        #expect(parseFails(["retry", "--state", "pending"]))
        #expect(parseFails(["retry", "42", "--kind", "async_sale"]))
        #expect(parseFails(["retry", "42", "--dry-run"]))
        #expect(parseFails(["retry", "--dry-run"]))
        #expect(parseFails(["retry", "--kind", "no_such_kind"]))
        #expect(parseFails(["retry", "--reason", " "]))

        let discard = try parse(["discard", "--kind", "async_pair_request", "--older-than", "1h", "--yes"], as: Discard.self)
        #expect(discard.reference == nil && discard.filters.selection(now: 0, defaultStates: [.pending]).states == [.pending])
        #expect(parseFails(["discard", "--state", "dead"]))
        #expect(parseFails(["discard", "--kind", "async_sale", "--force"]))
        #expect(parseFails(["discard", "42", "--terminal", "T1"]))
    }

    @Test("purge: --older-than is required; --dry-run, --include-inbox")
    func purge() throws {
        let purge = try parse(["purge", "--older-than", "30d", "--dry-run", "--include-inbox"], as: Purge.self)
        #expect(purge.olderThan.millis == 30 * 86_400_000 && purge.dryRun && purge.includeInbox)
        #expect(try parse(["purge", "--older-than", "1h30m", "--yes"], as: Purge.self).olderThan.millis == 5_400_000)
        #expect(parseFails(["purge"]))
        #expect(parseFails(["purge", "--older-than", "0s"]))
        #expect(parseFails(["purge", "--older-than", "30"]))
    }

    @Test("migrate: --dry-run, --yes")
    func migrate() throws {
        #expect(try parse(["migrate", "--dry-run"], as: Migrate.self).dryRun)
        #expect(try parse(["migrate", "--yes"], as: Migrate.self).confirmation.yes)
    }

    @Test("enqueue sale builds Paywall's body with the exact amount text and the MUC as key")
    func enqueueSale() throws {
        let sale = try parse(
            ["enqueue", "sale", "--terminal-tag", "STORE1-TILL2", "--amount", "22.10", "--display-code", "R-1042"],
            as: Enqueue.Sale.self)
        let draft = sale.draft(generate: { "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61" })
        #expect(draft.kind == .asyncSale && draft.commandKey == "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61")
        #expect(
            draft.payload.serialized()
                == #"{"TerminalTagCode":"STORE1-TILL2","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":22.10,"CurrencyId":1,"DisplayCode":"R-1042","Products":[{"Name":"R-1042","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}"#
        )
        try draft.validate()
        let sync = try parse(
            [
                "enqueue", "sale", "--sync", "--terminal-id", "0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40", "--amount", "150",
                "--merchant-unique-code", "9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f", "--notify-disconnected",
                "--deadline", "2m",
            ], as: Enqueue.Sale.self)
        #expect(sync.draft().kind == .syncSale && sync.draft().commandKey == "9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f")
        #expect(sync.options.deadline == .relative(120_000))
        try sync.draft().validate()
    }

    @Test(
        "enqueue sale refuses bad amounts and terminals at parse time",
        arguments: [
            ["--terminal-tag", "T", "--amount", "0"], ["--terminal-tag", "T", "--amount", "-5"],
            ["--terminal-tag", "T", "--amount", "1e3"], ["--terminal-tag", "T", "--amount", "22,10"],
            ["--terminal-tag", "T", "--amount", "0.00"], ["--terminal-tag", "T", "--amount", "007"],
            ["--amount", "5"], ["--terminal-tag", "T", "--terminal-id", "0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40", "--amount", "5"],
            ["--terminal-id", "nope", "--amount", "5"], ["--terminal-tag", "T", "--amount", "5", "--notify-disconnected"],
            ["--terminal-tag", "T", "--amount", "5", "--merchant-unique-code", "abc"],
        ])
    func enqueueSaleRefuses(arguments: [String]) {
        #expect(parseFails(["enqueue", "sale"] + arguments))
    }

    @Test("amount text: exact decimals only", arguments: [
        ("22.10", true), ("150", true), ("0.5", true), ("0", false), ("0.0", false), ("1e2", false), ("+1", false),
        (".5", false), ("5.", false), ("1,5", false), (" 5", false),
        // The client's AmountRule: at most 2 decimals and 16 digits before the point.
        ("0.01", true), ("9999999999999999.99", true), ("22.105", false), ("22.100", false),
        ("10000000000000000", false),
    ])
    func amounts(text: String, valid: Bool) {
        #expect(AmountText.isValid(text) == valid)
    }

    @Test("enqueue cancel, rollback, approve, pair-request, pair-confirm")
    func enqueueForms() throws {
        let sale = "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"
        let cancel = try parse(["enqueue", "cancel", "--sale-key", sale], as: Enqueue.Cancel.self).draft()
        #expect(cancel.kind == .asyncCancel && cancel.saleKey == sale && cancel.payload.serialized() == "{}")
        try cancel.validate()
        let syncCancel = try parse(
            ["enqueue", "cancel", "--sync", "--payment-request-id", sale, "--notify-disconnected", "--key", "k-1"],
            as: Enqueue.Cancel.self
        ).draft()
        #expect(syncCancel.kind == .syncCancel && syncCancel.paymentRequestId == sale && syncCancel.commandKey == "k-1")
        #expect(syncCancel.payload.serialized() == #"{"SendNotificationDeviceDisconnected":true}"#)
        try syncCancel.validate()
        #expect(try parse(["enqueue", "rollback", "--sale-key", sale], as: Enqueue.Rollback.self).draft().kind == .syncSaleRollback)
        #expect(
            try parse(["enqueue", "rollback", "--of", "cancel", "--payment-request-id", sale], as: Enqueue.Rollback.self)
                .draft().kind == .syncCancelRollback)
        let approve = try parse(["enqueue", "approve", "--payment-id", "42"], as: Enqueue.Approve.self).draft()
        #expect(approve.kind == .marketplaceApprove && approve.payload.serialized() == #"{"PaymentId":42}"#)
        try approve.validate()
        let pair = try parse(["enqueue", "pair-request", "--terminal-tag", "T1"], as: Enqueue.PairRequest.self).draft()
        #expect(pair.kind == .asyncPairRequest && pair.payload.serialized() == #"{"TerminalTagCode":"T1"}"#)
        #expect(
            try parse(["enqueue", "pair-request", "--sync", "--terminal-id", sale], as: Enqueue.PairRequest.self).draft().kind
                == .syncPairRequest)
        let confirm = try parse(["enqueue", "pair-confirm", "--pair-request-id", sale], as: Enqueue.PairConfirm.self).draft()
        #expect(confirm.kind == .asyncPairConfirm && confirm.payload.serialized() == #"{"PairAsyncRequestId":"\#(sale)"}"#)
        try confirm.validate()
    }

    @Test(
        "enqueue forms refuse what the database would",
        arguments: [
            ["enqueue", "cancel"], ["enqueue", "cancel", "--sale-key", "x"],
            ["enqueue", "cancel", "--sale-key", "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61", "--payment-request-id",
             "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"],
            ["enqueue", "rollback", "--of", "refund", "--sale-key", "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"],
            ["enqueue", "approve", "--payment-id", "0"], ["enqueue", "approve"],
            ["enqueue", "pair-request"], ["enqueue", "pair-confirm", "--pair-request-id", "12"],
            ["enqueue", "--kind", "refund", "--payload-file", "x.json"], ["enqueue", "--kind", "async_sale"],
            ["enqueue"],
        ])
    func enqueueRefuses(arguments: [String]) {
        #expect(parseFails(arguments))
    }

    @Test("enqueue --kind K --payload-file F: the default form; a sale's key is its MerchantUniqueCode")
    func enqueuePayload() throws {
        let form = try parse(["enqueue", "--kind", "async_sale", "--payload-file", "sale.json"], as: Enqueue.Payload.self)
        #expect(form.kind == "async_sale" && form.payloadFile == "sale.json")
        let muc = "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"
        let draft = try form.draft(
            payloadText:
                #"{"TerminalTagCode":"T","MerchantUniqueCode":"\#(muc)","Amount":5,"CurrencyId":1,"Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":5,"Quantity":1}]}"#
        )
        #expect(draft.commandKey == muc)
        try draft.validate()
    }

    @Test("enqueue --allow-unknown-fields queues a key the catalog does not list; without it: refused (3)")
    func enqueueUnknownFields() throws {
        let payload =
            #"{"TerminalTagCode":"T","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":5,"CurrencyId":1,"Products":[{"Name":"I","TaxGroupId":20,"UnitCodeId":4,"Amount":5,"Quantity":1}],"NewPaywallField":true}"#
        let strict = try parse(["enqueue", "--kind", "async_sale", "--payload-file", "-"], as: Enqueue.Payload.self)
        do {
            try strict.draft(payloadText: payload).validate()
            Issue.record("accepted an unknown field")
        } catch {
            #expect(CLIError.from(error).status == .refused && "\(error)".contains("NewPaywallField"))
        }
        let lenient = try parse(
            ["enqueue", "--kind", "async_sale", "--payload-file", "-", "--allow-unknown-fields"], as: Enqueue.Payload.self)
        try lenient.draft(payloadText: payload).validate()
    }

    @Test("a cancel named by its sale key validates with a placeholder PaymentRequestId that is not all-zero")
    func cancelBySaleKey() throws {
        let form = try parse(
            ["enqueue", "--kind", "async_cancel", "--payload-file", "-", "--sale-key", "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"],
            as: Enqueue.Payload.self)
        try form.draft(payloadText: "{}").validate()
    }

    @Test(
        "drafts fail validation like the worker's validator would (exit 3)",
        arguments: [
            ("async_sale", #"{"TerminalTagCode":"T","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":5}"#),
            ("async_sale", #"{"TerminalTagCode":"T","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61","Amount":5,"CurrencyId":1,"Products":[{"Name":"x","Amount":1,"Quantity":2}]}"#),
            ("async_sale", #"{"TerminalTagCode":"T","MerchantUniqueCode":"nope","Amount":5,"CurrencyId":1}"#),
            ("async_cancel", #"{"PaymentRequestId":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"}"#),
            ("async_pair_request", #"{}"#),
            ("marketplace_approve", #"{"PaymentId":"x"}"#),
            ("async_sale", #"[1]"#),
            ("async_sale", #"{"#),
        ])
    func draftsRefused(kind: String, payload: String) throws {
        let form = try parse(
            ["enqueue", "--kind", kind, "--payload-file", "-", "--sale-key", "3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61"]
                .filter { kind.contains("cancel") || !$0.contains("sale-key") && !$0.hasPrefix("3f2b") },
            as: Enqueue.Payload.self)
        do {
            try form.draft(payloadText: payload).validate()
            Issue.record("accepted \(payload)")
        } catch {
            #expect(CLIError.from(error).status == .refused)
        }
    }

    @Test("--help on every command has an example")
    func help() {
        let commands: [any ParsableCommand.Type] = [
            OutboxRoot.self, Inspect.self, Inspect.Overview.self, Inspect.List.self, Inspect.Show.self, Retry.self,
            Discard.self, Purge.self, Migrate.self, Enqueue.self, Enqueue.Payload.self, Enqueue.Sale.self,
            Enqueue.Cancel.self, Enqueue.Rollback.self, Enqueue.Approve.self, Enqueue.PairRequest.self,
            Enqueue.PairConfirm.self,
        ]
        for command in commands {
            let help = OutboxRoot.helpMessage(for: command, columns: 100)
            #expect(help.contains("Example"), "\(command) help has no example")
            #expect(help.contains("outbox "), "\(command)")
        }
        #expect(OutboxRoot.helpMessage(columns: 100).contains("Exit codes"))
    }

    @Test("exit codes are distinct and stable")
    func exitCodes() {
        let codes = ExitStatus.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(codes == [0, 1, 2, 3, 4, 5, 6, 10, 64])
        #expect(CLIError.from(OutboxStoreError(.busy, "x")).status == .busy)
        #expect(CLIError.from(OutboxStoreError(.notFound, "x")).status == .notFound)
        #expect(CLIError.from(OutboxStoreError(.schemaTooNew, "x")).status == .schema)
        #expect(CLIError.from(OutboxStoreError(.schemaTooOld, "x")).status == .schema)
        #expect(CLIError.from(OutboxStoreError(.rejected, "x")).status == .refused)
        #expect(CLIError.from(RepairError(.inFlight, "x")).status == .refused)
        #expect(CLIError.from(RepairError(.notFound, "x")).status == .notFound)
    }
}

@Suite("CLI: confirmation")
struct ConfirmationTests {
    static func console(tty: Bool, answer: String?) -> Console {
        Console(
            out: { _ in }, err: { _ in }, readLine: { answer }, stdinIsTerminal: tty, stdoutIsTerminal: tty,
            environment: [:], clock: SystemWallClock())
    }

    static func declined(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch {
            return CLIError.from(error).status == .declined
        }
    }

    @Test("y or yes on a terminal proceeds; anything else, no terminal, or end of input declines (exit 10)")
    func rules() throws {
        let ask = try ConfirmOptions.parse([])
        let yes = try ConfirmOptions.parse(["--yes"])
        for answer in ["y", "Y", "yes", " YES "] {
            try confirm("Go?", options: ask, console: Self.console(tty: true, answer: answer))
        }
        for answer in ["n", "", "no", "sure", nil] as [String?] {
            #expect(Self.declined { try confirm("Go?", options: ask, console: Self.console(tty: true, answer: answer)) })
        }
        #expect(Self.declined { try confirm("Go?", options: ask, console: Self.console(tty: false, answer: "y")) })
        try confirm("Go?", options: yes, console: Self.console(tty: false, answer: nil))
    }
}

@Suite("CLI times: every promised form exactly, nothing else (issue 10)")
struct TimeFormTests {
    static let midnight: EpochMillis = 1_795_996_800_000  // 2026-11-30T00:00:00Z

    static let acceptedForms: [(String, EpochMillis)] = [
        ("2026-11-30", midnight),
        ("2026-11-30T11:00:00Z", midnight + 39_600_000),
        ("2026-11-30T11:00:00", midnight + 39_600_000),
        ("2026-11-30 11:00:00Z", midnight + 39_600_000),
        ("2026-11-30 11:00", midnight + 39_600_000),
        ("2026-11-30T11:00:00.5Z", midnight + 39_600_500),
        ("2026-11-30T13:00:00+02:00", midnight + 39_600_000),
        ("2026-11-30T08:30:00-02:30", midnight + 39_600_000),
        ("2028-02-29", 1_835_395_200_000),
    ]

    @Test("accepted forms", arguments: acceptedForms)
    func accepted(_ text: String, _ expected: EpochMillis) {
        #expect(TimeSpec(argument: text) == .absolute(expected), "\(text)")
    }

    @Test(
        "refused forms",
        arguments: [
            "2026-11-30T25:00:00Z", "2026-11-30T11:60", "2026-13-01", "2026-02-29", "2026-11-31", "26-11-30",
            "2026-11-30T11", "2026-11-30T11:00:00+2", "2026/11/30", "yesterday", "2126-01-01", "1999-12-31",
            "999999999d999999999d999999999d",
        ])
    func refused(_ text: String) {
        #expect(TimeSpec(argument: text) == nil, "\(text)")
    }

    @Test("a bad --since is a usage error (64) through the binary")
    func binaryRefuses() throws {
        let database = try TestDatabase()
        _ = try database.open()
        let ran = try outbox(["inspect", "list", "--since", "2026-11-30T25:00:00"], db: database.path)
        #expect(ran.status == 64, "\(ran.stderr)")
    }
}

@Suite("outbox enqueue under a key already used (issue 10)")
struct EnqueueConflictTests {
    @Test("the same command again changes nothing (0); a different one is refused (3) naming what differs")
    func conflict() throws {
        let database = try TestDatabase()
        _ = try database.open()
        let key = Sample.guid()
        let first = try outbox(["enqueue", "approve", "--payment-id", "5", "--key", key], db: database.path)
        #expect(first.status == 0, "\(first.stderr)")
        let same = try outbox(["enqueue", "approve", "--payment-id", "5", "--key", key], db: database.path)
        #expect(same.status == 0 && same.stderr.contains("already queued"), "\(same.stderr)")
        let other = try outbox(["enqueue", "approve", "--payment-id", "6", "--key", key], db: database.path)
        #expect(other.status == 3 && other.stderr.contains("payload"), "\(other.stderr)")
    }
}
