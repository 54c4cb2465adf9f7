import QueueMailerCore
import Testing

@Suite("CommandLineParser")
struct CommandLineParserTests {
    @Test("each command parses with its options")
    func commands() throws {
        #expect(try CommandLineParser.parse(["migrate"]).command == .migrate)
        #expect(try CommandLineParser.parse(["status"]).command == .status(metrics: false))
        #expect(try CommandLineParser.parse(["status", "--metrics"]).command == .status(metrics: true))
        #expect(try CommandLineParser.parse(["enqueue", "in.jsonl"]).command == .enqueue(.init(file: "in.jsonl")))
        #expect(try CommandLineParser.parse(["enqueue", "-"]).command == .enqueue(.init(file: nil)))
        #expect(try CommandLineParser.parse(["run", "--until-empty"]).command == .run(.init(untilEmpty: true)))
        #expect(try CommandLineParser.parse(["run"]).command == .run(.init(untilEmpty: false)))
    }

    @Test("--config may come before or after the command, and QUEUE_MAILER_CONFIG is the fallback")
    func configFile() throws {
        #expect(try CommandLineParser.parse(["--config", "a.json", "run"]).configFile == "a.json")
        #expect(try CommandLineParser.parse(["run", "--config=b.json"]).configFile == "b.json")
        let fromEnvironment = try CommandLineParser.parse(["status"], environment: ["QUEUE_MAILER_CONFIG": "c.json"])
        #expect(fromEnvironment.configFile == "c.json")
    }

    @Test("--help anywhere asks for that command's help")
    func help() throws {
        #expect(try CommandLineParser.parse(["run", "--help"]).command == .help(topic: "run"))
        #expect(try CommandLineParser.parse(["--help"]).command == .help(topic: nil))
        #expect(try CommandLineParser.parse(["help", "requeue"]).command == .help(topic: "requeue"))
        #expect(try CommandLineParser.parse([]).command == .help(topic: nil))
        for command in CommandLineParser.commands {
            #expect(HelpText.text(for: command).contains("usage: queue-mailer"))
        }
    }

    @Test("requeue takes ids, or a state with an optional queue")
    func requeue() throws {
        guard case .requeue(let byID) = try CommandLineParser.parse(["requeue", "--id", "3,4", "--id", "9"]).command
        else {
            Issue.record("not requeue")
            return
        }
        #expect(byID.ids == [3, 4, 9])
        let line = ["requeue", "--state", "unknown", "--queue", "bulk", "--attempts", "2"]
        guard case .requeue(let byState) = try CommandLineParser.parse(line).command
        else {
            Issue.record("not requeue")
            return
        }
        #expect(byState.state == "unknown")
        #expect(byState.queue == "bulk")
        #expect(byState.attempts == 2)
    }

    @Test(
        "bad arguments name the argument",
        arguments: [
            (["send"], "send"),
            (["run", "--forever"], "--forever"),
            (["requeue", "--id", "x"], "--id"),
            (["requeue", "--state", "done"], "--state"),
            (["requeue"], "requeue"),
            (["requeue", "--id", "1", "--state", "failed"], "requeue"),
            (["requeue", "--state", "failed", "--attempts", "0"], "--attempts"),
            (["migrate", "now"], "now"),
            (["--config"], "--config"),
        ])
    func badArguments(arguments: [String], field: String) throws {
        let error = try #require(throws: MailerError.self) { try CommandLineParser.parse(arguments) }
        #expect(error.kind == .usage)
        #expect(error.field == field)
    }
}
