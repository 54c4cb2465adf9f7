/// The text `--help` prints, per command.
public enum HelpText {
    /// Help for `topic`, or the overview when `topic` is `nil` or not a command.
    public static func text(for topic: String?) -> String {
        switch topic {
        case "migrate": migrate
        case "enqueue": enqueue
        case "run": run
        case "status": status
        case "requeue": requeue
        default: overview
        }
    }

    static let overview = """
        queue-mailer: sends mail from a database queue and records every attempt's outcome.

        usage: queue-mailer [--config FILE] COMMAND [options]

        commands:
          migrate    create or upgrade the queue's tables
          enqueue    add requests, one JSON object per line, from a file or standard input
          run        claim requests and send them (--until-empty to stop when done)
          status     counts by state and outcome, oldest ready request, leases, relay and database
          requeue    make failed or unknown requests ready again

        --config FILE  a JSON configuration file (or QUEUE_MAILER_CONFIG); any field can be
                       overridden with QUEUE_MAILER_<SECTION>_<FIELD>, e.g. QUEUE_MAILER_RELAY_PORT.
                       Passwords: QUEUE_MAILER_DATABASE_PASSWORD, QUEUE_MAILER_RELAY_PASSWORD,
                       or password_file in the database and relay sections.

        `queue-mailer COMMAND --help` describes a command; Docs/queue-mailer.md is the guide.
        """

    static let migrate = """
        usage: queue-mailer [--config FILE] migrate

        Creates the request, result and version tables, or applies the migrations newer than
        the recorded version, each in its own transaction. Safe to run again.
        """

    static let enqueue = """
        usage: queue-mailer [--config FILE] enqueue [FILE | -]

        Reads send requests, one JSON object per line, from FILE or standard input, and adds
        each valid one to the queue. A line that is not valid is reported with its number and
        the field at fault, and is not stored; the others are. Exits 0 when every line was
        stored (or was a duplicate idempotency key), 65 when some line was refused, 66 when
        FILE does not exist or cannot be read.

        A line: {"idempotency_key": "k1", "from": "a@example.com", "to": ["b@example.org"],
                 "subject": "Hello", "text": "Hi", "html": "<p>Hi</p>"}
        Other fields: queue, priority, send_at, max_attempts, message_id, reply_to, cc, bcc,
        headers, attachments [{filename, content_type, content_base64 | content_text}], raw.
        """

    static let run = """
        usage: queue-mailer [--config FILE] run [--until-empty]

        Claims ready requests with a lease and sends them through the relay, recording each
        attempt's outcome in the result table. SIGTERM or SIGINT stops claiming, lets sends in
        flight finish within queue.shutdown_timeout, returns the rest to the queue and exits 0;
        a second signal stops faster. SIGHUP re-reads the configuration and swaps the database
        and relay connections to the new settings without dropping work.

        --until-empty  stop once no request is ready, running or waiting for a retry (requests
                       scheduled for later are waited for, and a log line says how many and
                       when); on a terminal a progress line shows done of total, rate, failures,
                       time left.

        While the relay is unavailable (refused, unreachable, login refused) nothing is claimed
        and no attempt is used up; one probe connection checks it with backoff (relay_probe).
        `run` waits forever; `run --until-empty` exits 69 after relay.outage_limit (5m),
        leaving the requests ready.
        """

    static let status = """
        usage: queue-mailer [--config FILE] status [--metrics]

        Prints requests by state, results by outcome, the oldest ready request, the leases
        held by each instance, and the running instance's database and relay state (read from
        metrics.textfile). Exits 69 when the database cannot be reached.

        --metrics  also print the figures and the instance's metrics in Prometheus text format.
        """

    static let requeue = """
        usage: queue-mailer [--config FILE] requeue (--id N[,N...] | --state failed|unknown [--queue Q])
                                                    [--attempts N]

        Makes failed or unknown requests ready again, now. Each gets N more attempts (default
        1) on top of those it used; attempt numbers keep growing, so old claims stay fenced.
        A request whose result already says sent is not requeued. Exits 65, saying so, when
        no request matched.
        """
}
