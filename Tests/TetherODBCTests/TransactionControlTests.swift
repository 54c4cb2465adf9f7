import Testing
import TetherTestKit

@testable import TetherODBC

@Suite("Transaction control seen in SQL text")
struct TransactionControlTests {
    @Test(
        "a statement that opens a transaction is seen after comments, whitespace and semicolons",
        arguments: [
            "BEGIN", "begin", "  \n\tBEGIN", ";;BEGIN", " ; ; begin work", "-- note\nBEGIN", "/* x */ BEGIN",
            "/* outer /* inner */ still comment */ BEGIN", "--a\n--b\n/**/BEGIN;", "START TRANSACTION",
            "start transaction isolation level serializable", "BEGIN IMMEDIATE TRANSACTION", "SAVEPOINT s1",
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "COMMIT AND CHAIN", "rollback work and chain",
            "BEGIN/* glued */", "/* c */ BEGIN; INSERT INTO t VALUES (1)",
        ])
    func opens(_ sql: String) {
        #expect(TransactionControl.effect(of: sql) == true)
    }

    @Test(
        "a statement that ends a transaction is seen the same way",
        arguments: [
            "COMMIT", "-- done\nCOMMIT", "/* a */ rollback", "END", "end transaction", "ABORT", "COMMIT WORK",
            "ROLLBACK TRANSACTION", "PREPARE TRANSACTION 'tx1'", "COMMIT AND NO CHAIN",
            "BEGIN; INSERT INTO t VALUES (1); COMMIT",
        ])
    func ends(_ sql: String) {
        #expect(TransactionControl.effect(of: sql) == false)
    }

    @Test(
        "SQL without transaction control changes nothing",
        arguments: [
            "", "   ", ";", "-- only a comment", "/* only */", "SELECT 1", "SELECT begin FROM t",
            "INSERT INTO t (name) VALUES ('BEGIN')", "SELECT 'x;BEGIN'", "SELECT \"begin\" FROM t",
            "SELECT $$; BEGIN $$", "SELECT $tag$ ; COMMIT $tag$", "ROLLBACK TO SAVEPOINT s1", "rollback to s1",
            "COMMIT PREPARED 'tx1'", "ROLLBACK PREPARED 'tx1'", "RELEASE SAVEPOINT s1", "SELECT E'it\\'s; BEGIN'",
            "SELECT 'it''s; BEGIN'", "SELECT [begin] FROM t", "SELECT `begin` FROM t", "SELECT $1; SELECT 2",
            "DO $$ BEGIN PERFORM 1; END $$", "SELECT 1 -- ; BEGIN", "UPDATE t SET x = CASE WHEN y THEN 1 END",
            "SET search_path TO public", "START", "PREPARE q AS SELECT 1",
        ])
    func neither(_ sql: String) {
        #expect(TransactionControl.effect(of: sql) == nil)
    }

    @Test(
        "in a batch the last statement that opens or ends a transaction decides",
        arguments: [
            ("BEGIN; INSERT INTO t VALUES (1)", true), ("INSERT INTO t VALUES (1); BEGIN", true),
            ("COMMIT; BEGIN; SELECT 1", true), ("BEGIN; COMMIT", false), ("BEGIN; SELECT 1; ROLLBACK; SELECT 2", false),
            ("BEGIN; SAVEPOINT a; ROLLBACK TO a", true), ("SELECT 1; -- BEGIN\nSELECT 2", nil),
            ("SELECT 1; /* ; */ BEGIN", true), ("BEGIN; END", false),
        ] as [(String, Bool?)])
    func batches(_ sql: String, _ expected: Bool?) {
        #expect(TransactionControl.effect(of: sql) == expected)
    }

    @Test(
        "statements inside a CREATE body's BEGIN ... END are not transaction control",
        arguments: [
            ("CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; END", nil),
            ("BEGIN; CREATE TRIGGER g AFTER INSERT ON t BEGIN DELETE FROM u; END; INSERT INTO t VALUES (1)", true),
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; COMMIT", false),
            ("CREATE PROCEDURE p AS BEGIN IF x THEN BEGIN NULL; END; END IF; END p", nil),
            ("BEGIN; CREATE PROCEDURE p AS BEGIN COMMIT; END", true),
        ] as [(String, Bool?)])
    func createBodies(_ sql: String, _ expected: Bool?) {
        #expect(TransactionControl.effect(of: sql) == expected)
    }

    @Test(
        "text the scan cannot follow to its end counts as opening a transaction",
        arguments: [
            "SELECT 'unclosed", "/* unclosed BEGIN", "/* /* */ still open", "SELECT \"unclosed", "SELECT $$ body",
            "SELECT E'\\'", "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE u SET n = 1;", "SELECT [x",
        ])
    func unsure(_ sql: String) {
        #expect(TransactionControl.effect(of: sql) == true)
    }

    @Test("bytes of characters beyond ASCII belong to words, as PostgreSQL reads identifiers")
    func wordBoundaries() {
        #expect(TransactionControl.effect(of: "\u{FEFF}BEGIN") == nil)
        #expect(TransactionControl.effect(of: "BEGIN\u{00A0}") == nil)
        #expect(TransactionControl.effect(of: "SELECT 'é'; BEGIN") == true)
        #expect(TransactionControl.effect(of: "SELECT 1.5e3;\r\nCOMMIT") == false)
    }

    @Test("random text never traps, and a statement after it decides once the text is read to its end")
    func randomText() {
        let pieces = [
            "'", "\"", "$", "$$", "$q$", "--", "/*", "*/", ";", "\n", " ", "\\", "[", "]", "`", "E'", "U&'", "x", "1",
            "é", "BEGIN", "COMMIT", "END", "ROLLBACK", "TO", "AND", "CHAIN", "SELECT",
        ]
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<3000 {
            let count = Int.random(in: 0...12, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(TransactionControl.effect(of: text + "\n;BEGIN") == true, "\(text.debugDescription)")
            if SQLPieces(text).isComplete {
                #expect(TransactionControl.effect(of: text + "\n;COMMIT") == false, "\(text.debugDescription)")
            }
        }
    }
}
