import Foundation
import Logging
import OutboxModel
import OutboxPostgres
import OutboxTestSupport
import PostgresNIO
import Testing

@testable import OutboxStore

/// A PostgreSQL store on a scratch database of its own (``ScratchPostgres``).
final class PostgresTestStore: Sendable {
    let database: ScratchPostgres
    let store: PostgresStore
    var client: PostgresClient { database.client }

    init(database: ScratchPostgres) {
        self.database = database
        store = PostgresStore(client: database.client, location: database.url, logger: ScratchPostgres.quiet)
    }

    /// Stops its client.
    func close() { database.close() }
}

enum PostgresTestDatabase {
    /// A new migrated database with its store.
    static func make() async throws -> PostgresTestStore {
        PostgresTestStore(database: try await ScratchPostgres.make())
    }
}
