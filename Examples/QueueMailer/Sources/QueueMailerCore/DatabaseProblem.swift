import Foundation
import TetherODBC
import TetherPool

/// Turns a failure to reach the database into the error an operator can act on: a driver
/// that cannot be loaded is a configuration error (exit 78), anything else "unreachable" (69).
enum DatabaseProblem {
    /// The error for a failed connect to `settings`' database.
    static func error(_ error: ODBCError, settings: DatabaseSettings) -> MailerError {
        if let driver = missingDriver(error, connectString: settings.connectString) {
            return driverError(driver, error)
        }
        let shown = ConnectStringText.redacted(settings.connectString)
        return MailerError(.database, field: "database.connect_string", "cannot connect to \(shown): \(error)")
    }

    /// The error for a pool that could not lend a database connection; the driver is named
    /// from the driver manager's message, the pool not knowing the connect string.
    static func error(_ error: ConnectionPoolError) -> MailerError {
        if let cause = error.underlying as? ODBCError, let driver = missingDriver(cause, connectString: "") {
            return driverError(driver, cause)
        }
        return MailerError(.database, "\(error)")
    }

    private static func driverError(_ driver: String, _ error: ODBCError) -> MailerError {
        MailerError(
            .configuration, field: "database.connect_string",
            "the ODBC \(driver) cannot be loaded: no such entry in odbcinst.ini (or odbc.ini), or its library "
                + "is missing "
                + "(\(error.diagnostics.first?.description ?? error.message))")
    }

    /// `driver "NAME"` (or `data source "NAME"`), when `error` says the driver manager could
    /// not find or load it: IM002 (no such data source or driver), IM003 (the driver's library
    /// could not be loaded) or unixODBC's 01000 "Can't open lib 'NAME'".
    static func missingDriver(_ error: ODBCError, connectString: String) -> String? {
        let records = error.diagnostics.map { ($0.sqlState, $0.message) } + [(error.sqlState ?? "", error.message)]
        let missing = records.contains { state, message in
            ["IM002", "IM003"].contains(state) || (state == "01000" && message.lowercased().contains("can't open lib"))
        }
        guard missing else { return nil }
        if let driver = ConnectStringText.value(of: "Driver", in: connectString) { return "driver \"\(driver)\"" }
        if let source = ConnectStringText.value(of: "DSN", in: connectString) { return "data source \"\(source)\"" }
        guard let start = error.message.range(of: "lib '"),
            let end = error.message[start.upperBound...].firstIndex(of: "'")
        else { return "driver" }
        return "driver \"\(error.message[start.upperBound..<end])\""
    }

    /// Fails when the configured SQLite file does not exist (in a directory that does), before
    /// connecting would create an empty one: only `migrate` creates the database.
    ///
    /// - Throws: ``MailerError`` of kind `schema` (exit 78) naming the path.
    static func requireExistingFile(_ settings: DatabaseSettings) throws {
        guard settings.effectiveDialect == .sqlite,
            let path = ConnectStringText.value(of: "Database", in: settings.connectString),
            !path.isEmpty, path != ":memory:", !path.hasPrefix("file:")
        else { return }
        // A missing directory stays "unreachable" (69), as connecting reports it.
        let directory = (path as NSString).deletingLastPathComponent
        guard !FileManager.default.fileExists(atPath: path),
            FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory)
        else { return }
        throw MailerError(.schema, "no database at \(path): run `queue-mailer migrate`")
    }
}
