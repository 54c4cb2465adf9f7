import Foundation
import Testing

extension MailerIntegration {
    /// Error messages and exit codes of the real program (issue #6): one prefix, one hint,
    /// no database created by a command that only reads it, a missing driver is configuration.
    @Suite("queue-mailer command errors")
    struct CommandErrorTests {
        private func run(_ arguments: [String], _ environment: [String: String] = [:], in directory: String)
            async throws -> (status: Int32, output: String)
        {
            let log = directory + "/command-\(UUID().uuidString).log"
            var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            base.merge(environment) { $1 }
            let status = try await ChildProcess.run(SignalTests.binary, arguments, environment: base, log: log)
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: log)
            return (status, output)
        }

        private func emptyDirectory() throws -> String {
            let directory = NSTemporaryDirectory() + "queue-mailer-errors-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return directory
        }

        @Test("an unknown option points to the command's help once, not to the general help too")
        func unknownOptionHintOnce() async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let result = try await run(["status", "--bogus"], in: directory)
            #expect(result.status == 64)
            #expect(result.output.components(separatedBy: "--help").count == 2, "\(result.output)")
            #expect(result.output.contains("see `queue-mailer status --help`"))
            let command = try await run(["bogus"], in: directory)
            #expect(command.status == 64 && command.output.contains("see `queue-mailer --help`"))
        }

        @Test("enqueue of a file that is missing or unreadable exits 66 naming the file and why; /dev/null is read")
        func enqueueUnreadableFile() async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/q.db;"]
            #expect(try await run(["migrate"], environment, in: directory).status == 0)
            let missing = try await run(["enqueue", directory + "/no-such.jsonl"], environment, in: directory)
            #expect(missing.status == 66, "\(missing.output)")
            #expect(
                missing.output.contains("input error: \(directory)/no-such.jsonl: No such file or directory"),
                "\(missing.output)")
            let folder = try await run(["enqueue", directory], environment, in: directory)
            #expect(folder.status == 66, "\(folder.output)")
            #expect(folder.output.contains("input error: \(directory): Is a directory"), "\(folder.output)")
            // Not a regular file, but readable: read as a stream, like a pipe or a FIFO.
            let empty = try await run(["enqueue", "/dev/null"], environment, in: directory)
            #expect(empty.status == 0 && empty.output.contains("enqueued 0"), "\(empty.output)")
        }

        @Test("status, requeue, enqueue and run without a database say to migrate and create no file")
        func readCommandsCreateNoDatabase() async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/queue.db"
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(file);"]
            let commands = [
                ["status"], ["requeue", "--state", "failed"], ["enqueue", "/dev/null"], ["run", "--until-empty"],
            ]
            for command in commands {
                let result = try await run(command, environment, in: directory)
                #expect(result.status == 78, "\(command): \(result.output)")
                #expect(
                    result.output.contains(
                        "queue-mailer: schema error: no database at \(file): run `queue-mailer migrate`"),
                    "\(command): \(result.output)")
                #expect(!FileManager.default.fileExists(atPath: file), "\(command)")
            }
            #expect(try await run(["migrate"], environment, in: directory).status == 0)
            #expect(try await run(["status"], environment, in: directory).status == 0)
        }

        @Test("status with the database unreachable reports it with the program's prefix")
        func unreachablePrefix() async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/no/q.db;"]
            let result = try await run(["status"], environment, in: directory)
            #expect(result.status == 69, "\(result.output)")
            #expect(result.output.contains("queue-mailer: database error: database.connect_string: cannot connect"))
            #expect(result.output.contains("database: unreachable\n"))
            #expect(!result.output.contains("\ndatabase: unreachable ("), "the reason is on the error line only")
        }

        @Test(
            "a driver that does not exist is a configuration error naming the driver",
            arguments: [["migrate"], ["run", "--until-empty"]])
        func missingDriverIsConfiguration(command: [String]) async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=NoSuchDriver;Database=q.db;"]
            let result = try await run(command, environment, in: directory)
            #expect(result.status == 78, "\(result.output)")
            #expect(
                result.output.contains(
                    "queue-mailer: configuration error: database.connect_string: the ODBC driver \"NoSuchDriver\" "
                        + "cannot be loaded"), "\(result.output)")
        }

        @Test("a data source that does not exist (IM002) is a configuration error naming it")
        func missingDataSourceIsConfiguration() async throws {
            let directory = try emptyDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "DSN=no-such-source;"]
            let result = try await run(["migrate"], environment, in: directory)
            #expect(result.status == 78, "\(result.output)")
            #expect(result.output.contains("the ODBC data source \"no-such-source\" cannot be loaded"))
        }
    }
}
