/// Turns `queue-mailer`'s arguments into a ``MailerInvocation``, or an error naming the bad argument.
public enum CommandLineParser {
    /// The commands, in the order help lists them.
    public static let commands = ["migrate", "enqueue", "run", "status", "requeue"]

    /// Parses `arguments` (without the program name).
    ///
    /// `--config FILE` may come before or after the command; without it `QUEUE_MAILER_CONFIG`
    /// in `environment` names the file. `--help` or `-h` anywhere asks for the command's help.
    ///
    /// - Throws: ``MailerError`` of kind `usage` naming the unknown command, option or bad value.
    public static func parse(_ arguments: [String], environment: [String: String] = [:]) throws -> MailerInvocation {
        var words = arguments[...]
        var configFile = environment["QUEUE_MAILER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        var command: String?
        var rest: [String] = []
        while let word = words.popFirst() {
            switch word {
            case "--config":
                configFile = try value(after: word, in: &words)
            case _ where word.hasPrefix("--config="):
                configFile = String(word.dropFirst("--config=".count))
            case "--help", "-h":
                return MailerInvocation(configFile: configFile, command: .help(topic: command ?? words.first))
            case "help" where command == nil:
                return MailerInvocation(configFile: configFile, command: .help(topic: words.first))
            case _ where command == nil:
                guard commands.contains(word) else {
                    throw MailerError(
                        .usage, field: word, "not a command; expected one of \(commands.joined(separator: ", "))")
                }
                command = word
            default:
                rest.append(word)
            }
        }
        guard let command else { return MailerInvocation(configFile: configFile, command: .help(topic: nil)) }
        return MailerInvocation(configFile: configFile, command: try parse(command: command, rest[...]))
    }

    private static func parse(command: String, _ arguments: ArraySlice<String>) throws -> MailerCommand {
        var words = arguments
        switch command {
        case "migrate":
            try expectNothing(words, command)
            return .migrate
        case "status":
            var metrics = false
            while let word = words.popFirst() {
                guard word == "--metrics" else { throw unknownOption(word, command) }
                metrics = true
            }
            return .status(metrics: metrics)
        case "enqueue":
            var options = MailerCommand.EnqueueOptions()
            if let word = words.popFirst() {
                guard word == "-" || !word.hasPrefix("-") else { throw unknownOption(word, command) }
                options.file = word == "-" ? nil : word
            }
            try expectNothing(words, command)
            return .enqueue(options)
        case "run":
            var options = MailerCommand.RunOptions()
            while let word = words.popFirst() {
                guard word == "--until-empty" else { throw unknownOption(word, command) }
                options.untilEmpty = true
            }
            return .run(options)
        default:
            return .requeue(try parseRequeue(words))
        }
    }

    private static func parseRequeue(_ arguments: ArraySlice<String>) throws -> MailerCommand.RequeueOptions {
        var words = arguments
        var options = MailerCommand.RequeueOptions()
        while let word = words.popFirst() {
            switch word {
            case "--id":
                let text = try value(after: word, in: &words)
                let ids = try text.split(separator: ",").map { part in
                    guard let id = Int64(part), id > 0 else {
                        throw MailerError(
                            .usage, field: "--id", "expected request ids such as 12 or 12,13; found \"\(text)\"")
                    }
                    return id
                }
                options.ids += ids
            case "--state":
                let state = try value(after: word, in: &words)
                guard ["failed", "unknown"].contains(state) else {
                    throw MailerError(.usage, field: "--state", "expected failed or unknown; found \"\(state)\"")
                }
                options.state = state
            case "--queue":
                options.queue = try value(after: word, in: &words)
            case "--attempts":
                let text = try value(after: word, in: &words)
                guard let attempts = Int(text), (1...100).contains(attempts) else {
                    throw MailerError(.usage, field: "--attempts", "expected a number in 1...100; found \"\(text)\"")
                }
                options.attempts = attempts
            default:
                throw unknownOption(word, "requeue")
            }
        }
        guard options.ids.isEmpty != (options.state == nil) else {
            throw MailerError(
                .usage, field: "requeue", "give either --id or --state (failed or unknown), not both or neither")
        }
        guard options.queue == nil || options.state != nil else {
            throw MailerError(.usage, field: "--queue", "filters --state; with --id it is not used")
        }
        return options
    }

    private static func value(after option: String, in words: inout ArraySlice<String>) throws -> String {
        guard let value = words.popFirst(), !value.hasPrefix("--") else {
            throw MailerError(.usage, field: option, "needs a value")
        }
        return value
    }

    private static func expectNothing(_ words: ArraySlice<String>, _ command: String) throws {
        if let word = words.first { throw unknownOption(word, command) }
    }

    private static func unknownOption(_ word: String, _ command: String) -> MailerError {
        MailerError(.usage, field: word, "not an option of \(command); see `queue-mailer \(command) --help`")
    }
}
