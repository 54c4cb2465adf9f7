/// What SQL text does to a transaction opened in SQL (`BEGIN`) rather than through ODBC, as
/// far as the text tells, so that ``ConnectionCore/reset()`` knows when to roll one back.
///
/// Every statement of a batch counts, in order, and the last one that opens or ends a
/// transaction decides. A missed `BEGIN` sends a connection back to its pool with a
/// transaction open, while a needless reset costs one `ROLLBACK`: so text the scan cannot
/// follow to its end counts as opening one.
enum TransactionControl {
    /// `true` when `sql` leaves a transaction open, `false` when it ends one, `nil` when it
    /// neither opens nor ends one.
    ///
    /// | SQL | effect |
    /// |---|---|
    /// | `BEGIN`, `START TRANSACTION`, `SAVEPOINT`, `SET TRANSACTION` | opens |
    /// | `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION` | ends |
    /// | the same with `AND CHAIN` | opens (a new one starts at once) |
    /// | `ROLLBACK TO`, `COMMIT PREPARED`, `ROLLBACK PREPARED`, `RELEASE` | none |
    /// | an unclosed comment, literal, or `BEGIN` block of a `CREATE` | opens |
    ///
    /// Bodies of `CREATE TRIGGER`, `CREATE FUNCTION ... BEGIN ATOMIC` and PL/SQL units run
    /// from their `BEGIN` to the matching `END`: statements inside are not transaction control.
    static func effect(of sql: String) -> Bool? {
        let pieces = SQLPieces(sql)
        var effect: Bool? = nil
        var blockDepth = 0
        for words in pieces.statements {
            if blockDepth > 0 {
                blockDepth += blockChange(inside: words)
            } else if words[0] == "CREATE" {
                blockDepth = words.count { $0 == "BEGIN" }
            } else if let statementEffect = statementEffect(words) {
                effect = statementEffect
            }
        }
        return pieces.isComplete && blockDepth == 0 ? effect : true
    }

    /// Words after `END` that close a block other than `BEGIN ... END` (`END IF`, `END LOOP`).
    private static let nonBlockEnds: Set<String> = ["IF", "LOOP", "CASE", "WHILE", "REPEAT", "FOR"]

    /// How a statement inside a `BEGIN ... END` body changes the nesting.
    private static func blockChange(inside words: [String]) -> Int {
        if words[0] == "END" {
            return words.count > 1 && nonBlockEnds.contains(words[1]) ? 0 : -1
        }
        return words.count { $0 == "BEGIN" }
    }

    private static func statementEffect(_ words: [String]) -> Bool? {
        let second = words.count > 1 ? words[1] : ""
        switch words[0] {
        case "BEGIN", "SAVEPOINT":
            return true
        case "START", "SET":
            return second == "TRANSACTION" ? true : nil
        case "PREPARE":
            return second == "TRANSACTION" ? false : nil
        case "COMMIT", "END", "ABORT", "ROLLBACK":
            return ending(words)
        default:
            return nil
        }
    }

    /// `COMMIT`, `END`, `ABORT` or `ROLLBACK` with what follows it.
    private static func ending(_ words: [String]) -> Bool? {
        let rest = words.dropFirst().drop { $0 == "WORK" || $0 == "TRANSACTION" || $0 == "TRAN" }
        if rest.first == "TO" || rest.first == "PREPARED" {
            return nil
        }
        let chains = zip(rest, rest.dropFirst()).contains { $0 == ("AND", "CHAIN") }
        return chains
    }
}
