import Foundation
import OutboxModel
import OutboxStore

/// The commands `worker --simulator --demo N` queues: a cycle of twelve that exercises every
/// kind of flow (async and sync sales with exact decimal amounts, a cancel named by sale_key, a
/// sync sale rollback, pairing, a marketplace approve, a sale the simulator declines), each with
/// fresh keys. Any prefix of the cycle is coherent: a follow-up always comes after its sale.
enum DemoCommands {
    /// - Parameter now: follow-ups are held back (`not_before`) a few seconds after it, so their
    ///   sale goes out first; a follow-up due together with an unsent sale would simply withdraw
    ///   both locally (correct, but a dull demo).
    static func make(count: Int, now: EpochMillis, terminalId: String = "0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40") -> [NewCommand] {
        var commands: [NewCommand] = []
        var lastAsyncSale: String?
        var lastSyncSale: String?
        var lastPlainSyncSale: String?
        var round = 0
        func key() -> String { UUID().uuidString.lowercased() }
        func asyncSale(_ amount: String, _ unit: String, _ quantity: Int, _ name: String) -> NewCommand {
            let muc = key()
            lastAsyncSale = muc
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
            return NewCommand(
                commandKey: muc, kind: .syncSale,
                payload: """
                    {"TerminalId":"\(terminalId)","MerchantUniqueCode":"\(muc)","Amount":\(amount),"CurrencyId":1,\
                    "SendNotificationDeviceDisconnected":true}
                    """)
        }
        while commands.count < count {
            let step = commands.count % 12
            switch step {
            case 0: commands.append(asyncSale("22.10", "11.05", 2, "Coffee"))
            case 1: commands.append(syncSale("35.50"))
            case 2:  // cancel the async sale above, named by its MerchantUniqueCode
                commands.append(
                    NewCommand(commandKey: key(), kind: .asyncCancel, payload: "{}", saleKey: lastAsyncSale, notBefore: now + 3_000))
            case 3:  // revoke the sync sale above before its terminal takes it
                commands.append(
                    NewCommand(
                        commandKey: key(), kind: .syncSaleRollback, payload: "{}", saleKey: lastSyncSale, notBefore: now + 2_000))
            case 4:
                commands.append(NewCommand(commandKey: key(), kind: .asyncPairRequest, payload: #"{"TerminalTagCode":"STORE1-TILL2"}"#))
            case 5:
                commands.append(NewCommand(commandKey: key(), kind: .marketplaceApprove, payload: #"{"PaymentId":\#(48_213 + round)}"#))
            case 6:
                commands.append(syncSale("150.00"))
                lastPlainSyncSale = lastSyncSale
            case 7: commands.append(asyncSale("9.13", "9.13", 1, "Declined by the simulator (.13)"))
            case 8:
                commands.append(NewCommand(commandKey: key(), kind: .syncPairRequest, payload: #"{"TerminalId":"\#(terminalId)"}"#))
            case 9: commands.append(asyncSale("48.99", "48.99", 1, "Headphones"))
            case 10:
                commands.append(
                    NewCommand(
                        commandKey: key(), kind: .syncCancel, payload: #"{"SendNotificationDeviceDisconnected":true}"#,
                        saleKey: lastPlainSyncSale, notBefore: now + 3_000))
            default:
                commands.append(asyncSale("3.05", "0.61", 5, "Sticker"))
                round += 1
            }
        }
        return commands
    }
}
