import Foundation
import TetherODBC

/// Everything the queue-mailer is told: where the queue and the relay are, how hard to work,
/// how long to wait, and how to retry.
///
/// Read with ``load(file:environment:)``: a JSON file (every field optional) plus environment
/// overrides `QUEUE_MAILER_<SECTION>_<FIELD>`. The defaults run the demo: a SQLite queue in the
/// working directory and a relay on loopback.
public struct MailerConfiguration: Sendable {
    /// The name this instance writes as lease owner and worker.
    /// Defaults to `nil`: the host name and process id.
    public var instanceName: String?
    /// The queue database.
    public var database = DatabaseSettings()
    /// The SMTP relay messages are handed to.
    public var relay = RelaySettings()
    /// Claiming, concurrency, leases and shutdown.
    public var queue = QueueSettings()
    /// When to retry a send that failed for a transient reason.
    public var retry = RetrySettings.sendDefault
    /// How to reconnect when the database is unreachable; this one never gives up.
    public var databaseRetry = RetrySettings.databaseDefault
    /// How often a closed relay gate probes the relay; it never gives up in the service mode.
    public var relayProbe = RetrySettings.relayProbeDefault
    /// Where and how often metrics are written.
    public var metrics = MetricsSettings()
    /// What is logged.
    public var log = LogSettings()

    /// The demo-friendly defaults listed on each field.
    public init() {}
}

/// The queue database settings.
public struct DatabaseSettings: Sendable {
    /// The ODBC connect string, without the password. Defaults to a SQLite file `queue-mailer.db`.
    public var connectString = "Driver=SQLite3;Database=queue-mailer.db;"
    /// The SQL dialect. Defaults to `nil`: detected from the connect string's driver.
    public var dialect: SQLDialect?
    /// PostgreSQL only: the schema the tables live in. Defaults to `nil`: the search path.
    public var namespace: String?
    /// The password, from `QUEUE_MAILER_DATABASE_PASSWORD` or `database.password_file`. Defaults to `nil`.
    public var password: Secret?
    /// Connections in the database pool. Defaults to 4.
    public var poolSize = 4
    /// How long a connection attempt may take. Defaults to 5 seconds.
    public var loginTimeout: Duration = .seconds(5)
    /// How long a hot swap (SIGHUP) waits for work on old connections. Defaults to 5 seconds.
    public var swapDrainTimeout: Duration = .seconds(5)
    /// How long a hot swap (SIGHUP) may try the new database before it is given up and the
    /// current one kept. Defaults to 60 seconds.
    public var swapTimeout: Duration = .seconds(60)
    /// How long a reconnect after the database went away waits for old work. Defaults to 30 seconds.
    public var reconnectDrainTimeout: Duration = .seconds(30)
    /// After a failed login leaves no connection open, how long the pool holds further logins
    /// off (database work fails at once meanwhile, and `database_retry` paces its retries); the
    /// hold grows 1.6-fold with each failed login, up to ``loginRetryMaximumDelay``. Defaults
    /// to 250 ms.
    public var loginRetryDelay: Duration = .milliseconds(250)
    /// The longest hold between failed logins. Defaults to 10 seconds.
    public var loginRetryMaximumDelay: Duration = .seconds(10)

    /// The dialect in force: the configured one, or the one the driver names.
    public var effectiveDialect: SQLDialect {
        dialect ?? SQLDialect.detect(connectString: connectString) ?? .postgresql
    }

    /// The connect string with the password set, for the driver only; its description hides
    /// the password, and it escapes `;`, `{` and `}` in every value.
    ///
    /// - Throws: ``MailerError`` naming `database.connect_string` when it does not parse.
    public func odbcConnectString() throws -> ODBCConnectString {
        var parsed: ODBCConnectString
        do {
            parsed = try ODBCConnectString(parsing: connectString)
        } catch {
            throw MailerError(.configuration, field: "database.connect_string", "\(error)")
        }
        if let password { parsed["PWD"] = password.value }
        return parsed
    }

    public init() {}
}

/// The SMTP relay settings.
public struct RelaySettings: Sendable {
    /// How the connection to the relay is protected.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// STARTTLS must succeed, with the certificate verified.
        case required
        /// STARTTLS when offered; plain otherwise.
        case opportunistic
        /// Never TLS: for a relay on loopback, such as the demo's.
        case none
        /// TLS from the first byte (port 465).
        case implicit
    }

    /// The relay's host name or address. Defaults to `127.0.0.1`.
    public var host = "127.0.0.1"
    /// The relay's port. Defaults to 25.
    public var port = 25
    /// The TLS policy. Defaults to ``TLSMode/required``.
    public var tls = TLSMode.required
    /// A PEM file of CA certificates to trust instead of the system's. Defaults to `nil`.
    public var caFile: String?
    /// The user name for AUTH. Defaults to `nil`: no authentication.
    public var username: String?
    /// The password, from `QUEUE_MAILER_RELAY_PASSWORD` or `relay.password_file`. Defaults to `nil`.
    public var password: Secret?
    /// Whether AUTH may be sent without TLS to a loopback relay. Defaults to `false`.
    public var allowPlaintextAuthOnLoopback = false
    /// The name sent in EHLO. Defaults to `nil`: the host name.
    public var heloName: String?
    /// SMTP connections kept to the relay. Defaults to 4.
    public var connections = 4
    /// How long connecting may take: TCP, greeting and TLS. Defaults to 10 seconds.
    public var connectTimeout: Duration = .seconds(10)
    /// How long each command's reply may take. Defaults to 30 seconds.
    public var commandTimeout: Duration = .seconds(30)
    /// How long the reply to the end of data may take; after it the outcome is unknown. Defaults to 2 minutes.
    public var endOfDataTimeout: Duration = .seconds(120)
    /// Messages sent on one connection before it is replaced. Defaults to 100.
    public var maxMessagesPerConnection = 100
    /// How long a hot swap waits for sends on old connections. Defaults to 10 seconds.
    public var swapDrainTimeout: Duration = .seconds(10)
    /// How long `run --until-empty` waits for an unavailable relay before exiting 69 with the
    /// requests still ready; `run` waits forever. Defaults to 5 minutes.
    public var outageLimit: Duration = .seconds(300)

    public init() {}
}

/// How the queue is worked.
public struct QueueSettings: Sendable, Equatable {
    /// The queue this instance claims from. Defaults to `default`.
    public var name = "default"
    /// Messages sent at once. Defaults to 4.
    public var concurrency = 4
    /// Requests claimed per statement. Defaults to 16.
    public var batchSize = 16
    /// Claimed requests waiting for a worker. Defaults to 32.
    public var requestChannelCapacity = 32
    /// Outcomes waiting to be written. Defaults to 64.
    public var resultChannelCapacity = 64
    /// Outcomes written per transaction. Defaults to 32.
    public var resultBatchSize = 32
    /// How long a claim holds a request; renewed every third of it while sending. Defaults to 60 seconds.
    public var lease: Duration = .seconds(60)
    /// How long the claimer waits when the queue is empty. Defaults to 1 second.
    public var pollInterval: Duration = .seconds(1)
    /// How often expired leases are looked for. Defaults to 15 seconds.
    public var reaperInterval: Duration = .seconds(15)
    /// Attempts a request gets when its request does not say. Defaults to 5.
    public var defaultMaxAttempts = 5
    /// How long in-flight sends may finish after SIGTERM. Defaults to 20 seconds.
    public var shutdownTimeout: Duration = .seconds(20)

    public init() {}
}

/// Where and how often metrics are written.
public struct MetricsSettings: Sendable {
    /// A `.prom` file for the node exporter's textfile collector. Defaults to `nil`: not written.
    public var textfile: String?
    /// How often the file is rewritten. Defaults to 15 seconds.
    public var interval: Duration = .seconds(15)

    public init() {}
}

/// What is logged.
public struct LogSettings: Sendable {
    /// The lowest level written. Defaults to ``LogLevel/info``.
    public var level = LogLevel.info

    public init() {}
}
