import Testing

@testable import TetherODBC

@Suite("ODBCConnectString")
struct ConnectStringTests {
    @Test("values with ; { } = and outer spaces are braced, with } doubled")
    func escapesSpecialCharacters() {
        #expect(ODBCConnectString.escape("plain") == "plain")
        #expect(ODBCConnectString.escape("a;b") == "{a;b}")
        #expect(ODBCConnectString.escape("a}b") == "{a}}b}")
        #expect(ODBCConnectString.escape("{x}") == "{{x}}}")
        #expect(ODBCConnectString.escape("k=v") == "{k=v}")
        #expect(ODBCConnectString.escape(" pad") == "{ pad}")
    }

    @Test("the builder renders every attribute and the description hides the password")
    func rendersAndHides() {
        let connectString = ODBCConnectString(
            driver: "PostgreSQL Unicode", server: "127.0.0.1", port: 5432, database: "db", user: "u",
            password: "s3;cr}t")
        #expect(
            connectString.rendered
                == "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=5432;Database=db;UID=u;PWD={s3;cr}}t}")
        #expect(!connectString.description.contains("s3"))
        #expect(connectString.description.contains("PWD=***"))
        #expect(!"\(connectString)".contains("cr"))
    }

    @Test(
        "parsing reverses rendering, for plain and braced values", arguments: ["p", "a;b", "}{", "x}}y", " s ", "k=v;"])
    func roundTrips(password: String) throws {
        let built = ODBCConnectString(driver: "SQLite3", database: "/tmp/x.db", password: password)
        let parsed = try ODBCConnectString(parsing: built.rendered)
        #expect(parsed == built)
        #expect(parsed["pwd"] == password)
    }

    @Test("parsing reads real connect strings, spaces and empty attributes included")
    func parsesRealStrings() throws {
        let parsed = try ODBCConnectString(
            parsing: "Driver={PostgreSQL Unicode};Server=127.0.0.1; Port = 5432 ;;Pwd=x;")
        #expect(parsed["driver"] == "PostgreSQL Unicode")
        #expect(parsed["PORT"] == "5432")
        #expect(parsed["pwd"] == "x")
        #expect(parsed.attributes.count == 4)
    }

    @Test(
        "a malformed connect string is refused without repeating the password",
        arguments: [
            "Driver=x;Pwd={secret", "Driver=x;Pwd={secret}tail", "Driver=x;secret", "=secret",
        ])
    func refusesMalformed(text: String) {
        let error = #expect(throws: ODBCError.self) { try ODBCConnectString(parsing: text) }
        #expect(error?.kind == .invalidArgument)
        #expect(error.map { !$0.description.contains("secret") } ?? false)
    }

    @Test("keys with separators and values with NUL are refused")
    func refusesUnwritable() {
        var connectString = ODBCConnectString()
        connectString["Bad;Key"] = "v"
        #expect(throws: ODBCError.self) { try connectString.validate() }
        var nul = ODBCConnectString()
        nul["PWD"] = "a\0b"
        #expect(throws: ODBCError.self) { try nul.validate() }
    }

    @Test("setting nil removes a key and setting a present key replaces it in place")
    func subscriptEdits() {
        var connectString = ODBCConnectString(driver: "SQLite3", database: "a")
        connectString["DATABASE"] = "b"
        connectString["Driver"] = nil
        #expect(connectString.rendered == "Database=b")
    }
}
