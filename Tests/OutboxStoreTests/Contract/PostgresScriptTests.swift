import Testing

@testable import OutboxPostgres

@Suite("PostgreSQL migrations, one statement at a time")
struct PostgresScriptTests {
    @Test(
        "a ; ends a statement only outside strings, names, dollar quotes and comments",
        arguments: [
            ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
            ("SELECT 'a;b'; SELECT 'it''s;'", ["SELECT 'a;b'", "SELECT 'it''s;'"]),
            (#"CREATE TABLE "x;y" (a int);"#, [#"CREATE TABLE "x;y" (a int)"#]),
            ("DO $$ BEGIN PERFORM 1; END $$; SELECT 3;", ["DO $$ BEGIN PERFORM 1; END $$", "SELECT 3"]),
            ("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;", [
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql"
            ]),
            ("-- a comment; not a statement\nSELECT 4; /* nor; this */", ["-- a comment; not a statement\nSELECT 4"]),
            ("SELECT $1::int; ;  ; -- trailing", ["SELECT $1::int"]),
        ])
    func splits(_ sql: String, _ expected: [String]) {
        #expect(PostgresScript.statements(sql) == expected)
    }

    @Test("every embedded migration splits into statements that each end where the file's ; does")
    func embeddedFiles() {
        for migration in embeddedPostgresMigrations {
            let statements = PostgresScript.statements(migration.sql)
            #expect(statements.count >= 3, "\(migration.file)")
            // Each ends where its ; was (the ; itself is not sent).
            #expect(statements.allSatisfy { !$0.hasSuffix(";") }, "\(migration.file)")
            #expect(statements.last?.contains("schema_version") == true, "\(migration.file) ends with its version row")
        }
    }

    @Test("the PostgreSQL SQL embedded in the binaries is byte for byte Schema/postgres/")
    func embeddedMatchesFiles() throws {
        try expectEmbedded(embeddedPostgresMigrations, areTheFilesOf: "Schema/postgres")
    }
}
