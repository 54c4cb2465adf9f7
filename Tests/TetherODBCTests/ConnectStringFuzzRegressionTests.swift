import Testing

@testable import TetherODBC

/// Inputs that the ODBCConnectString fuzz target (Fuzz/ODBCConnectString) found, kept so they
/// stay fixed. A combining mark or joiner right after a delimiter forms one `Character` with
/// it, which hid the delimiter from code that compared `Character`s.
@Suite("ODBCConnectString: fuzz regressions")
struct ConnectStringFuzzRegressionTests {
    @Test("fuzz crash c8234263: a joiner right after '=' no longer hides it from the parser")
    func joinerAfterEquals() throws {
        var connectString = ODBCConnectString()
        connectString["Dreer"] = "\u{200D}127.0\u{FFFD}Drr"
        let parsed = try ODBCConnectString(parsing: connectString.rendered)
        #expect(parsed.attributes == connectString.attributes)
    }

    @Test(
        "a combining mark after ';' or '}' in a value cannot end the value and inject a key",
        arguments: [
            "x;\u{301}PWD", "x}\u{301};UID=admin", "a=\u{301}b", "\u{301};", "{\u{301}", "}\u{301}",
        ])
    func combiningMarkCannotInject(value: String) throws {
        var connectString = ODBCConnectString()
        connectString["PWD"] = value
        let rendered = connectString.rendered
        // Compared by scalar: "{" followed by a combining mark is one Character.
        #expect(rendered.unicodeScalars.starts(with: "PWD={".unicodeScalars))
        #expect(rendered.unicodeScalars.last == "}")
        #expect(try ODBCConnectString(parsing: rendered).attributes == connectString.attributes)
    }

    @Test("a value with a newline or a no-break space at its end is braced, so parsing keeps it")
    func unicodeWhitespaceAtTheEndsIsKept() throws {
        var connectString = ODBCConnectString()
        connectString["Server"] = "host\n"
        connectString["Database"] = "\u{00A0}db"
        let parsed = try ODBCConnectString(parsing: connectString.rendered)
        #expect(parsed["Server"] == "host\n")
        #expect(parsed["Database"] == "\u{00A0}db")
    }

    @Test("a key holding ';' behind a combining mark is refused")
    func keyWithHiddenDelimiterIsRefused() {
        var connectString = ODBCConnectString()
        connectString["Server;\u{301}PWD"] = "x"
        #expect(throws: ODBCError.self) { try connectString.validate() }
    }
}
