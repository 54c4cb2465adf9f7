extension ODBCError.Kind {
    /// Classifies a failure by its diagnostic records.
    ///
    /// The rules, first match wins over all records:
    /// - `08007` (connection failure during transaction) is ``outcomeUnknown``;
    /// - SQLSTATE class `28`, a message that says a password or authentication failed (psqlODBC
    ///   reports a refused login as `08001`), a class `08` message that the role or database
    ///   does not exist (PostgreSQL refuses such a login), and Oracle `ORA-01017`, `ORA-28000`,
    ///   `ORA-28001` are ``authentication``;
    /// - SQLSTATE class `08`, `57P01`-`57P03` (server shutting down or starting), Oracle's
    ///   disconnect codes (``oracleDisconnectCodes``), and PostgreSQL's disconnect messages
    ///   (``postgresDisconnectPhrases``; psqlODBC reports a terminated backend as `HY000`) are
    ///   ``connectionLost``;
    /// - `HYT00` and `HYT01` are ``timedOut``; `57014` and `HY008` are ``cancelled``;
    /// - anything else is ``other``.
    ///
    /// Oracle codes are read from the `ORA-nnnnn` text of the message, because native codes of
    /// other drivers overlap them (SQLite's extended code 1034 is an I/O error, not ORA-01034).
    public static func classify(_ diagnostics: [ODBCDiagnostic]) -> ODBCError.Kind {
        let ranked: [(ODBCError.Kind, (ODBCDiagnostic) -> Bool)] = [
            (.outcomeUnknown, { $0.sqlState == "08007" }),
            (.authentication, isAuthenticationFailure),
            (.connectionLost, isConnectionLoss),
            (.timedOut, { ["HYT00", "HYT01"].contains($0.sqlState) }),
            (.cancelled, { ["57014", "HY008"].contains($0.sqlState) }),
        ]
        for (kind, matches) in ranked where diagnostics.contains(where: matches) {
            return kind
        }
        return .other
    }

    /// Oracle error numbers that mean the session or the instance is gone: ORA-00028 (session
    /// killed), 01012 (not logged on), 01033/01034/01089/01092 (instance starting, down or
    /// shutting down), 02396 (idle time exceeded), 03113/03114/03135 (end of channel, not
    /// connected, connection lost), and the TNS codes 12153, 12514, 12528, 12537, 12541, 12543,
    /// 12547, 12560, 12570, 12571.
    public static let oracleDisconnectCodes: Set<Int> = [
        28, 1012, 1033, 1034, 1089, 1092, 2396, 3113, 3114, 3135,
        12153, 12514, 12528, 12537, 12541, 12543, 12547, 12560, 12570, 12571,
    ]

    /// Texts in PostgreSQL and libpq messages that mean the session is gone, whatever SQLSTATE
    /// the driver put in front of them.
    public static let postgresDisconnectPhrases: [String] = [
        "terminating connection due to", "the database system is shutting down",
        "the database system is starting up", "the database system is in recovery mode",
        "server closed the connection unexpectedly", "no connection to the server",
        "could not send data to server", "could not receive data from server", "connection to server was lost",
    ]

    /// Oracle error numbers that mean the login was refused: ORA-01017 (invalid username or
    /// password), 28000 (account locked), 28001 (password expired).
    public static let oracleAuthenticationCodes: Set<Int> = [1017, 28000, 28001]

    private static func isAuthenticationFailure(_ record: ODBCDiagnostic) -> Bool {
        if record.sqlState.hasPrefix("28") {
            return true
        }
        if let oracle = oracleCode(in: record.message) {
            return oracleAuthenticationCodes.contains(oracle)
        }
        let text = record.message.lowercased()
        if text.contains("password authentication failed") || text.contains("authentication failed for user") {
            return true
        }
        // PostgreSQL refuses a login to a role or database that does not exist; psqlODBC reports
        // it as 08001. Only as a login failure: `SET ROLE` to a missing role is 42704.
        return record.sqlState.hasPrefix("08") && text.contains("\" does not exist")
            && (text.contains("role \"") || text.contains("database \""))
    }

    private static func isConnectionLoss(_ record: ODBCDiagnostic) -> Bool {
        if record.sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(record.sqlState) {
            return true
        }
        if let oracle = oracleCode(in: record.message) {
            return oracleDisconnectCodes.contains(oracle)
        }
        let text = record.message.lowercased()
        return postgresDisconnectPhrases.contains { text.contains($0) }
    }

    /// The number in the first `ORA-nnnnn` of `message`, if any.
    static func oracleCode(in message: String) -> Int? {
        guard let range = message.firstRange(of: "ORA-") else {
            return nil
        }
        let digits = message[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return digits.count == 5 ? Int(digits) : nil
    }
}
