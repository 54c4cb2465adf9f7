import Foundation

/// The throwaway servers that `scripts/with-test-servers.sh` starts for a test run,
/// read from the environment variables it exports.
///
/// Outside CI, a test that needs a server that is not running is skipped with a message
/// naming the missing variable; under `CI=true` the same test runs and fails, so a CI run
/// can never pass by skipping what it was meant to check.
public struct TestServers: Sendable {
    /// A server a test can ask for.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        /// The variable that names the server; its absence means the server is not up.
        public let variable: String
        public let description: String

        /// The throwaway PostgreSQL 15 cluster.
        public static let postgres = Kind(variable: "TETHER_PG_DSN", description: "PostgreSQL")
        /// aiosmtpd without TLS or AUTH.
        public static let plainSMTP = Kind(variable: "TETHER_SMTP_PLAIN_PORT", description: "plain SMTP server")
        /// aiosmtpd requiring STARTTLS and AUTH, with a certificate from a throwaway CA.
        public static let secureSMTP = Kind(variable: "TETHER_SMTP_TLS_PORT", description: "STARTTLS+AUTH SMTP server")
        /// The SQLite ODBC driver; no server process, only the driver name.
        public static let sqlite = Kind(variable: "TETHER_SQLITE_DRIVER", description: "SQLite ODBC driver")
    }

    /// The variables in force.
    public let environment: [String: String]

    /// Reads the current process environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Whether this run is CI, where a missing server is a failure rather than a skip.
    public var isCI: Bool { environment["CI"] == "true" }

    /// Whether a test that needs `kind` should run: the server is up, or this is CI
    /// (where the test then fails loudly on the missing variable).
    public func shouldRun(_ kind: Kind) -> Bool {
        isCI || environment[kind.variable] != nil
    }

    /// The message a skipped test shows.
    public static func skipMessage(_ kind: Kind) -> String {
        "\(kind) not running: \(kind.variable) is unset; run the tests with `make test` "
            + "or `scripts/with-test-servers.sh swift test`"
    }

    /// The value of `name`.
    ///
    /// - Throws: ``MissingVariable`` naming the variable and how to start the servers.
    public func value(_ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw MissingVariable(name: name)
        }
        return value
    }

    /// The port in variable `name`.
    public func port(_ name: String) throws -> Int {
        let text = try value(name)
        guard let port = Int(text), (1...65535).contains(port) else {
            throw MissingVariable(name: name, found: text)
        }
        return port
    }

    /// A variable a test needed was unset or malformed.
    public struct MissingVariable: Error, CustomStringConvertible {
        public let name: String
        public let found: String?

        init(name: String, found: String? = nil) {
            self.name = name
            self.found = found
        }

        public var description: String {
            if let found {
                return "\(name) holds '\(found)', which is not a valid value"
            }
            return "\(name) is unset: start the test servers with `scripts/with-test-servers.sh swift test` "
                + "(or `make test`)"
        }
    }
}

extension TestServers {
    /// The servers of the current process, shared by test traits.
    public static let current = TestServers()
}
