/// What `queue-mailer` was asked to do, parsed from its arguments.
public enum MailerCommand: Sendable, Equatable {
    /// Print help: for one command, or the overview when `topic` is `nil`.
    case help(topic: String?)
    /// Create or upgrade the schema.
    case migrate
    /// Read requests, one JSON object per line, from a file or standard input.
    case enqueue(EnqueueOptions)
    /// Claim and send until stopped, or until the queue is empty.
    case run(RunOptions)
    /// Print counts by state and outcome, the oldest ready request, leases held and the running
    /// instance's database and relay state; with `metrics`, the Prometheus text as well.
    case status(metrics: Bool)
    /// Make failed or unknown requests ready again.
    case requeue(RequeueOptions)

    /// Options of `enqueue`.
    public struct EnqueueOptions: Sendable, Equatable {
        /// The file to read; `nil` or `-` for standard input.
        public var file: String?

        public init(file: String? = nil) {
            self.file = file
        }
    }

    /// Options of `run`.
    public struct RunOptions: Sendable, Equatable {
        /// Stop once nothing is ready, running or waiting to be retried in the queue.
        public var untilEmpty = false

        public init(untilEmpty: Bool = false) {
            self.untilEmpty = untilEmpty
        }
    }

    /// Options of `requeue`.
    public struct RequeueOptions: Sendable, Equatable {
        /// Requests to requeue by id.
        public var ids: [Int64] = []
        /// Requeue every request in this state (`failed` or `unknown`).
        public var state: String?
        /// With ``state``: only this queue. Defaults to `nil`: every queue.
        public var queue: String?
        /// Attempts each requeued request gets on top of those it used. Defaults to 1.
        public var attempts = 1

        public init() {}

        /// The filter as given on the command line, for messages.
        public var filterText: String {
            guard let state else { return "--id \(ids.map(String.init).joined(separator: ","))" }
            return "--state \(state)" + (queue.map { " --queue \($0)" } ?? "")
        }
    }
}

/// A parsed command line: the configuration file and the command.
public struct MailerInvocation: Sendable, Equatable {
    /// The configuration file from `--config`, or `QUEUE_MAILER_CONFIG`; `nil` for defaults only.
    public var configFile: String?
    /// The command.
    public var command: MailerCommand

    public init(configFile: String?, command: MailerCommand) {
        self.configFile = configFile
        self.command = command
    }
}
