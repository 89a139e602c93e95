import Foundation
import OutboxModel
import OutboxStore

/// The commands `worker --simulator --demo N` queues: a cycle of twelve that exercises every
/// kind of flow (async and sync sales with exact decimal amounts, a cancel named by sale_key, a
/// sync sale rollback, pairing, a marketplace approve, a sale the simulator declines), each with
/// fresh keys. Any prefix of the cycle is coherent: a follow-up always comes after its sale.
///
/// A follow-up is queued only once Paywall has accepted its sale (``DemoStep/after``), as a
/// cashier's cancel would be: queued together with an unsent sale, the worker would rightly
/// withdraw both locally without sending either, which makes a dull demo.
struct DemoStep: Sendable {
    /// The command.
    var command: NewCommand
    /// The index of the step (a sale) that must have been accepted or finished first.
    var after: Int?
}

enum DemoCommands {
    static func make(count: Int, terminalId: String = "0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40") -> [DemoStep] {
        make(commands: count, terminalId: terminalId)
    }

    private static func make(commands count: Int, terminalId: String) -> [DemoStep] {
        var commands: [NewCommand] = []
        var after: [Int: Int] = [:]
        var lastAsyncSaleIndex = 0
        var lastSyncSaleIndex = 0
        var lastPlainSyncSaleIndex = 0
        var lastAsyncSale: String?
        var lastSyncSale: String?
        var lastPlainSyncSale: String?
        var round = 0
        func key() -> String { UUID().uuidString.lowercased() }
        func asyncSale(_ amount: String, _ unit: String, _ quantity: Int, _ name: String) -> NewCommand {
            let muc = key()
            lastAsyncSale = muc
            lastAsyncSaleIndex = commands.count
            return NewCommand(
                commandKey: muc, kind: .asyncSale,
                payload: """
                    {"TerminalTagCode":"STORE1-TILL1","MerchantUniqueCode":"\(muc)","Amount":\(amount),"CurrencyId":1,\
                    "DisplayCode":"DEMO-\(commands.count + 1)","Products":[{"Name":"\(name)","TaxGroupId":10,"UnitCodeId":1,\
                    "Amount":\(unit),"Quantity":\(quantity)}]}
                    """)
        }
        func syncSale(_ amount: String) -> NewCommand {
            let muc = key()
            lastSyncSale = muc
            lastSyncSaleIndex = commands.count
            return NewCommand(
                commandKey: muc, kind: .syncSale,
                payload: """
                    {"TerminalId":"\(terminalId)","MerchantUniqueCode":"\(muc)","Amount":\(amount),"CurrencyId":1,\
                    "SendNotificationDeviceDisconnected":true,"Products":[{"Name":"Haircut","TaxGroupId":20,\
                    "UnitCodeId":4,"Amount":\(amount),"Quantity":1}]}
                    """)
        }
        while commands.count < count {
            let step = commands.count % 12
            switch step {
            case 0: commands.append(asyncSale("22.10", "11.05", 2, "Coffee"))
            case 1: commands.append(syncSale("35.50"))
            case 2:  // cancel the async sale above, named by its MerchantUniqueCode
                after[commands.count] = lastAsyncSaleIndex
                commands.append(
                    NewCommand(commandKey: key(), kind: .asyncCancel, payload: "{}", saleKey: lastAsyncSale))
            case 3:  // revoke the sync sale above before its terminal takes it
                after[commands.count] = lastSyncSaleIndex
                commands.append(
                    NewCommand(commandKey: key(), kind: .syncSaleRollback, payload: "{}", saleKey: lastSyncSale))
            case 4:
                commands.append(
                    NewCommand(
                        commandKey: key(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"STORE1-TILL2"}"#))
            case 5:
                commands.append(
                    NewCommand(
                        commandKey: key(), kind: .marketplaceApprove, payload: #"{"PaymentId":\#(48_213 + round)}"#))
            case 6:
                commands.append(syncSale("150.00"))
                lastPlainSyncSale = lastSyncSale
                lastPlainSyncSaleIndex = lastSyncSaleIndex
            case 7: commands.append(asyncSale("9.13", "9.13", 1, "Declined by the simulator (.13)"))
            case 8:
                commands.append(
                    NewCommand(commandKey: key(), kind: .syncPairRequest, payload: #"{"TerminalId":"\#(terminalId)"}"#))
            case 9: commands.append(asyncSale("48.99", "48.99", 1, "Headphones"))
            case 10:
                after[commands.count] = lastPlainSyncSaleIndex
                commands.append(
                    NewCommand(
                        commandKey: key(), kind: .syncCancel, payload: #"{"SendNotificationDeviceDisconnected":true}"#,
                        saleKey: lastPlainSyncSale))
            default:
                commands.append(asyncSale("3.05", "0.61", 5, "Sticker"))
                round += 1
            }
        }
        return commands.enumerated().map { DemoStep(command: $0.element, after: after[$0.offset]) }
    }
}
