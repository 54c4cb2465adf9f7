import Foundation
import TetherODBC
import TetherPool

/// The `queue-mailer` program: parses the command line, loads the configuration, runs a command.
///
/// Exit codes follow `sysexits.h`: 0 done, 64 bad arguments, 65 some enqueued line was refused
/// or a requeue matched nothing, 66 the file given to `enqueue` cannot be read, 69 the database
/// (or, for `run --until-empty`, the relay) could not be reached, 70 an unexpected failure, 78
/// bad configuration or a schema this binary cannot use.
public enum MailerApp {
    /// Runs the program with `arguments` (without the program name) and returns its exit code.
    public static func main(arguments: [String], environment: [String: String]) async -> Int32 {
        let invocation: MailerInvocation
        do {
            invocation = try CommandLineParser.parse(arguments, environment: environment)
        } catch {
            // An unknown option already names its command's help; the rest get the general one.
            let text = "\(error)"
            printError(text.contains("--help`") ? text : "\(text)\nsee `queue-mailer --help`")
            return 64
        }
        if case .help(let topic) = invocation.command {
            print(HelpText.text(for: topic))
            return 0
        }
        let configuration: MailerConfiguration
        do {
            configuration = try MailerConfiguration.load(file: invocation.configFile, environment: environment)
        } catch {
            printError("\(error)")
            return 78
        }
        let logger = MailerLogger(level: configuration.log.level)
        do {
            return try await run(
                invocation.command, configuration: configuration, invocation: invocation, logger: logger)
        } catch let error as MailerError {
            printError("\(error)")
            switch error.kind {
            case .configuration, .schema: return 78
            case .usage: return 64
            case .input: return 66
            case .database: return 69
            default: return 70
            }
        } catch let error as ODBCError {
            printError("database error: \(error)")
            return 69
        } catch let error as ConnectionPoolError where error.code == .connectFailed || error.code == .acquireTimeout {
            // Only the database pool lends outside the service: the relay pool's failures are outcomes.
            let problem = DatabaseProblem.error(error)
            guard problem.kind == .database else {
                printError("\(problem)")
                return 78
            }
            printError("database error: \(ConnectStringText.redacted(configuration.database.connectString)): \(error)")
            return 69
        } catch {
            printError("\(error)")
            return 70
        }
    }

    private static func run(
        _ command: MailerCommand, configuration: MailerConfiguration, invocation: MailerInvocation,
        logger: MailerLogger
    ) async throws -> Int32 {
        if command != .migrate { try DatabaseProblem.requireExistingFile(configuration.database) }
        switch command {
        case .help: return 0
        case .migrate: return try await migrate(configuration)
        case .enqueue(let options): return try await enqueue(options, configuration)
        case .status(let metrics): return try await status(configuration, metrics: metrics)
        case .requeue(let options): return try await requeue(options, configuration)
        case .run(let options):
            let runner = ServiceRunner(
                configuration: configuration, configFile: invocation.configFile, logger: logger)
            return try await runner.run(untilEmpty: options.untilEmpty)
        }
    }

    /// The lease owner and worker name of this process.
    static func ownerName(_ configuration: MailerConfiguration) -> String {
        let base = configuration.instanceName ?? RelaySettings.defaultHeloName
        return "\(base)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// The table layout for the configured database.
    static func schema(_ configuration: MailerConfiguration) -> Schema {
        Schema(dialect: configuration.database.effectiveDialect, namespace: configuration.database.namespace)
    }

    /// One connection for a one-shot command.
    static func connect(_ configuration: MailerConfiguration) async throws -> ODBCConnection {
        do {
            var connection = ODBCConnection.Configuration()
            connection.loginTimeout = configuration.database.loginTimeout
            return try await ODBCConnection.connect(
                try configuration.database.odbcConnectString(), configuration: connection)
        } catch let error as ODBCError {
            throw DatabaseProblem.error(error, settings: configuration.database)
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data("queue-mailer: \(text)\n".utf8))
    }
}
