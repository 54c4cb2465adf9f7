import Foundation
import QueueMailerCore
import Testing
import TetherODBC

extension MailerIntegration {
    /// The commands as an operator runs them: the real program, its output and exit codes.
    @Suite("queue-mailer commands")
    struct CommandTests {
        struct Run {
            var status: Int32
            var output: String
        }

        private func run(_ arguments: [String], _ environment: [String: String], in directory: String) async throws
            -> Run
        {
            let log = directory + "/command-\(UUID().uuidString).log"
            var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            base.merge(environment) { $1 }
            let status = try await ChildProcess.run(SignalTests.binary, arguments, environment: base, log: log)
            return Run(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }

        @Test("migrate, enqueue the samples, status and requeue, with the exit codes the guide gives")
        func operatorSession() async throws {
            let directory = NSTemporaryDirectory() + "queue-mailer-commands-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/q.db;"]

            let before = try await run(["status"], environment, in: directory)
            #expect(before.status == 78, "an unmigrated schema is a configuration problem")
            #expect(before.output.contains("run `queue-mailer migrate`"))

            let migrate = try await run(["migrate"], environment, in: directory)
            #expect(migrate.status == 0)
            #expect(migrate.output.contains("schema migrated from version 0 to \(Schema.latestVersion)"))
            #expect(try await run(["migrate"], environment, in: directory).output.contains("nothing to do"))

            let enqueue = try await run(["enqueue", Samples.path("requests.jsonl")], environment, in: directory)
            #expect(enqueue.status == 65, "one sample line is refused")
            #expect(enqueue.output.contains("line 9 refused: request error: to[0]"))
            #expect(enqueue.output.contains("enqueued 8, already queued 0, refused 1"))
            let again = try await run(["enqueue", Samples.path("requests.jsonl")], environment, in: directory)
            #expect(again.output.contains("enqueued 0, already queued 8, refused 1"))

            let status = try await run(["status"], environment, in: directory)
            #expect(status.status == 0)
            #expect(status.output.contains("  ready      8"))
            #expect(status.output.contains("instance: unknown (set metrics.textfile"))
            #expect(!status.output.contains("queue_mailer_"), "the summary stays short: \(status.output)")
            let metrics = try await run(["status", "--metrics"], environment, in: directory)
            #expect(metrics.output.contains("queue_mailer_requests{queue=\"default\",state=\"ready\"} 8"))

            let requeue = try await run(["requeue", "--state", "failed", "--queue", "q1"], environment, in: directory)
            #expect(requeue.status == 65)
            #expect(requeue.output.contains("no failed or unknown request matched --state failed --queue q1"))
        }

        @Test("exit codes match the guide: newer schema 78, unreachable SQLite file 69 for every command")
        func exitCodesAsDocumented() async throws {
            let directory = NSTemporaryDirectory() + "queue-mailer-exits-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/q.db;"]
            #expect(try await run(["migrate"], environment, in: directory).status == 0)
            let connection = try await ODBCConnection.connect(
                try ODBCConnectString(parsing: "Driver=SQLite3;Database=\(directory)/q.db;"))
            _ = try await connection.withSession {
                try $0.execute("INSERT INTO mail_schema_version (version, summary) VALUES (99, 'future')")
            }
            await connection.close()
            for command in [["status"], ["run", "--until-empty"], ["requeue", "--id", "1"], ["migrate"]] {
                let newer = try await run(command, environment, in: directory)
                #expect(newer.status == 78, "\(command): \(newer.output)")
                #expect(newer.output.contains("99"), "\(command): \(newer.output)")
            }
            let missing = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/no/such/q.db;"]
            for command in [["status"], ["run", "--until-empty"], ["migrate"], ["requeue", "--id", "1"]] {
                let unreachable = try await run(command, missing, in: directory)
                #expect(unreachable.status == 69, "\(command): \(unreachable.output)")
            }
        }

        @Test("enqueue splits CRLF lines and refuses a line that is not UTF-8 by its number, keeping the rest")
        func enqueueCRLFAndInvalidUTF8() async throws {
            let directory = NSTemporaryDirectory() + "queue-mailer-enqueue-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ["QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/q.db;"]
            #expect(try await run(["migrate"], environment, in: directory).status == 0)
            func line(_ key: String, subject: [UInt8]) -> [UInt8] {
                Array(
                    #"{"idempotency_key": "\#(key)", "from": "a@example.com", "to": ["b@example.org"], "subject": ""#
                        .utf8)
                    + subject + Array(#"", "text": "hi"}"#.utf8)
            }
            var bytes = line("crlf-1", subject: Array("first".utf8)) + [13, 10]
            bytes += line("bad-utf8", subject: [0xFF, 0xFE]) + [13, 10]
            bytes += line("crlf-2", subject: Array("Gr\u{fc}\u{df}e".utf8)) + [13, 10]
            let file = directory + "/requests.jsonl"
            try Data(bytes).write(to: URL(fileURLWithPath: file))

            let enqueue = try await run(["enqueue", file], environment, in: directory)
            #expect(enqueue.status == 65)
            #expect(enqueue.output.contains("line 2 refused: request error: the line is not valid UTF-8"))
            #expect(enqueue.output.contains("enqueued 2, already queued 0, refused 1"), "\(enqueue.output)")
        }

        @Test("bad arguments exit 64 and bad configuration 78, each naming what was wrong")
        func badInput() async throws {
            let directory = NSTemporaryDirectory()
            let usage = try await run(["run", "--forever"], [:], in: directory)
            #expect(usage.status == 64)
            #expect(usage.output.contains("--forever"))
            let config = try await run(["status"], ["QUEUE_MAILER_RELAY_PORT": "seventy"], in: directory)
            #expect(config.status == 78)
            #expect(config.output.contains("relay.port (from QUEUE_MAILER_RELAY_PORT)"))
            let help = try await run(["enqueue", "--help"], [:], in: directory)
            #expect(help.status == 0)
            #expect(help.output.contains("usage: queue-mailer [--config FILE] enqueue"))
        }

        @Test("status with the database unreachable says so and exits 69")
        func statusWithoutDatabase() async throws {
            let directory = NSTemporaryDirectory() + "queue-mailer-commands-" + UUID().uuidString
            let environment = [
                "QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/missing/q.db;"
            ]
            let status = try await run(["status"], environment, in: NSTemporaryDirectory())
            #expect(status.status == 69, "\(status.output)")
            #expect(status.output.contains("database: unreachable"))
        }

        @Test("run writes the queue's depth and oldest ready wait to its metrics; status --metrics names each once")
        func runWritesQueueGauges() async throws {
            let directory = NSTemporaryDirectory() + "queue-mailer-gauges-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let textfile = directory + "/queue-mailer.prom"
            let environment = [
                "QUEUE_MAILER_DATABASE_CONNECT_STRING": "Driver=SQLite3;Database=\(directory)/q.db;",
                "QUEUE_MAILER_METRICS_TEXTFILE": textfile,
                // An empty queue sends nothing; the relay is named on loopback all the same.
                "QUEUE_MAILER_RELAY_HOST": "127.0.0.1",
            ]
            #expect(try await run(["migrate"], environment, in: directory).status == 0)
            let before = try await run(["status"], environment, in: directory)
            #expect(
                before.output.contains("instance: unknown (no metrics file at \(textfile) yet)"), "\(before.output)")
            let drained = try await run(["run", "--until-empty"], environment, in: directory)
            #expect(drained.status == 0, "\(drained.output)")
            let written = try String(contentsOfFile: textfile, encoding: .utf8)
            #expect(written.contains("queue_mailer_oldest_ready_seconds{queue=\"default\"} 0\n"), "\(written)")
            #expect(written.contains("queue_mailer_queue_depth{queue=\"default\"} 0\n"), "\(written)")
            let metrics = try await run(["status", "--metrics"], environment, in: directory)
            #expect(metrics.status == 0, "\(metrics.output)")
            let families = metrics.output.components(separatedBy: "\n").filter { $0.hasPrefix("# TYPE ") }
            #expect(families.count == Set(families).count, "a family named twice: \(metrics.output)")
            #expect(families.contains("# TYPE queue_mailer_oldest_ready_seconds gauge"))
            #expect(families.contains("# TYPE queue_mailer_queue_depth gauge"))
            #expect(written.contains("queue_mailer_running{queue=\"default\"} 0\n"), "written as it stopped")
            #expect(metrics.output.contains("instance stopped (metrics written"), "\(metrics.output)")
        }
    }
}
