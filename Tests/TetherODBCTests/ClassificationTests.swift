import Testing

@testable import TetherODBC

@Suite("ODBCError classification")
struct ClassificationTests {
    private func kind(_ state: String, _ native: Int = 0, _ message: String = "") -> ODBCError.Kind {
        .classify([ODBCDiagnostic(sqlState: state, nativeCode: native, message: message)])
    }

    @Test(
        "SQLSTATE class 08 and server shutdown codes are a lost connection",
        arguments: ["08S01", "08001", "08003", "08006", "57P01", "57P02", "57P03"])
    func connectionLost(state: String) {
        #expect(kind(state) == .connectionLost)
    }

    @Test("08007 is an unknown outcome, not a plain lost connection")
    func outcomeUnknown() {
        #expect(kind("08007") == .outcomeUnknown)
        let mixed = ODBCError.Kind.classify([
            ODBCDiagnostic(sqlState: "08S01", nativeCode: 0, message: "lost"),
            ODBCDiagnostic(sqlState: "08007", nativeCode: 0, message: "during commit"),
        ])
        #expect(mixed == .outcomeUnknown)
    }

    @Test("class 28 and psqlODBC's refused login are authentication failures")
    func authentication() {
        #expect(kind("28P01") == .authentication)
        #expect(kind("28000") == .authentication)
        let psql = "connection to server failed: FATAL:  password authentication failed for user \"tether\""
        #expect(kind("08001", 101, psql) == .authentication)
        #expect(kind("08001", 101, "FATAL:  database \"nope\" does not exist") == .authentication)
        #expect(kind("08001", 101, "FATAL:  role \"nobody\" does not exist") == .authentication)
        #expect(kind("42704", 7, "ERROR:  role \"nobody\" does not exist") == .other, "SET ROLE, not a login")
        #expect(kind("42P01", 7, "ERROR:  relation \"nope\" does not exist") == .other)
    }

    @Test(
        "Oracle disconnect codes are read from ORA- text",
        arguments: [
            "ORA-03113: end-of-file on communication channel", "ORA-03114: not connected to ORACLE",
            "ORA-03135: connection lost contact", "ORA-12537: TNS:connection closed",
            "ORA-12541: TNS:no listener", "ORA-12571: TNS:packet writer failure", "ORA-01012: not logged on",
        ])
    func oracleDisconnects(message: String) {
        #expect(kind("HY000", 3113, "[Oracle][ODBC][Ora]" + message) == .connectionLost)
    }

    @Test("Oracle login refusals are authentication failures")
    func oracleAuthentication() {
        #expect(kind("28000", 1017, "ORA-01017: invalid username/password; logon denied") == .authentication)
        #expect(kind("HY000", 28000, "ORA-28000: the account is locked") == .authentication)
    }

    @Test("a native code that only looks Oracle's is not taken for one")
    func sqliteNativeCodeIsNotOracle() {
        #expect(kind("HY000", 1034, "disk I/O error") == .other)
    }

    @Test("timeouts, cancellations and the rest")
    func others() {
        #expect(kind("HYT00") == .timedOut)
        #expect(kind("57014") == .cancelled)
        #expect(kind("HY008") == .cancelled)
        #expect(kind("42P01") == .other)
        #expect(kind("23505") == .other)
        #expect(ODBCError.Kind.classify([]) == .other)
    }
}

@Suite("Secrets")
struct SecretsTests {
    @Test("long secrets go wherever they stand; short ones where quoted")
    func redacts() {
        var secrets = Secrets()
        secrets.add("hunter2")
        secrets.add("ab")
        let text = secrets.redact("bad value \"ab\" for hunter2 near (ab), about tab")
        #expect(text == "bad value \"***\" for *** near (***), about tab")
    }

    @Test("a message cut inside a secret loses the secret's beginning at its end")
    func redactsCutEnd() {
        let secrets = Secrets(["hunter2-long", "ab"])
        #expect(secrets.redactCutEnd("value \"hunter2-l") == "value \"***")
        let overlapping = Secrets(["efghXYZ", "abcdefghQQ"])
        #expect(overlapping.redactCutEnd("value \"abcdefgh") == "value \"***", "the longest beginning goes")
        #expect(secrets.redactCutEnd("value \"HUNT") == "value \"***")
        #expect(secrets.redactCutEnd("value \"hun") == "value \"hun", "three characters say nothing")
        #expect(secrets.redactCutEnd("a whole message.") == "a whole message.")
    }

    @Test("a secret echoed in lower or upper case is removed too (PostgreSQL folds identifiers)")
    func redactsFoldedCase() {
        let secrets = Secrets(["Zq9SecretPW", "Ab", "Straße-Pw9"])
        let text = secrets.redact("relation \"zq9secretpw\" near ZQ9SECRETPW, 'ab' in tab, STRASSE-PW9 and AB")
        #expect(text == "relation \"***\" near ***, '***' in tab, *** and AB")
    }
}
