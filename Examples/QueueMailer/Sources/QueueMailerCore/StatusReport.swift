/// How `status` prints the queue: a table for people, Prometheus text for machines.
public enum StatusReport {
    static let states = ["ready", "running", "done", "failed", "unknown", "cancelled"]

    /// The table: requests by state, results by outcome, the oldest ready request, leases.
    public static func table(_ status: QueueStatus, queue: String) -> String {
        var lines = ["queue \(queue)", "", "requests by state"]
        for state in states {
            lines.append("  \(pad(state)) \(status.requestsByState[state, default: 0])")
        }
        lines += ["", "attempts by outcome"]
        for outcome in AttemptOutcome.allCases {
            lines.append("  \(pad(outcome.rawValue)) \(status.resultsByOutcome[outcome.rawValue, default: 0])")
        }
        lines.append("")
        if let oldest = status.oldestReady {
            lines.append("oldest ready request: id \(oldest.id), waiting \(Int(oldest.seconds.rounded()))s")
        } else {
            lines.append("oldest ready request: none")
        }
        if status.leases.isEmpty {
            lines.append("leases held: none")
        } else {
            lines.append("leases held")
            for lease in status.leases {
                lines.append("  \(pad(lease.owner, 24)) \(lease.held) held, \(lease.expired) expired")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let runningHelp = "1 while the instance runs; 0 in the file it writes as it stops."

    /// One line on the running instance, from its metrics file: whether its database and relay
    /// answer, and how old the file is; that it has stopped; or how to get that line when there
    /// is no file.
    public static func instanceLine(metricsText: String?, age: Double?) -> String {
        guard let metricsText else {
            return "instance: unknown (set metrics.textfile to see the running instance's database and relay state)"
        }
        // Split on any line end: a CRLF is one Character, which `split(separator: "\n")` misses.
        let lines = metricsText.split(whereSeparator: \.isNewline)
        let value = { (name: String) -> Substring? in
            let line = lines.last { $0.hasPrefix("queue_mailer_\(name){") }
            return line?.split(whereSeparator: \.isWhitespace).last
        }
        let state = { (name: String) -> String in
            switch value(name) {
            case "1": return "up"
            case "0": return name == "relay_up" ? "unavailable (claiming paused)" : "unreachable (retrying)"
            default: return "unknown"
            }
        }
        // A file stamped in the future (a clock set back) counts as just written.
        let written = age.map { " \(Int(max(0, $0).rounded()))s ago" } ?? ""
        guard value("running") != "0" else {
            return "instance stopped (metrics written\(written))"
        }
        return "instance (metrics written\(written)): database \(state("database_up")), relay \(state("relay_up"))"
    }

    static let oldestReadyHelp = "How long the oldest ready request has waited past its run time."

    /// The same figures as Prometheus gauges.
    public static func metrics(_ status: QueueStatus, queue: String) -> String {
        var lines = [
            "# HELP queue_mailer_requests Requests in the queue by state.", "# TYPE queue_mailer_requests gauge",
        ]
        for state in states {
            lines.append(
                "queue_mailer_requests{queue=\"\(queue)\",state=\"\(state)\"} "
                    + "\(status.requestsByState[state, default: 0])"
            )
        }
        lines += ["# HELP queue_mailer_attempts Attempt results by outcome.", "# TYPE queue_mailer_attempts gauge"]
        for outcome in AttemptOutcome.allCases {
            let count = status.resultsByOutcome[outcome.rawValue, default: 0]
            lines.append("queue_mailer_attempts{queue=\"\(queue)\",outcome=\"\(outcome.rawValue)\"} \(count)")
        }
        lines += [
            "# HELP queue_mailer_oldest_ready_seconds \(oldestReadyHelp)",
            "# TYPE queue_mailer_oldest_ready_seconds gauge",
            "queue_mailer_oldest_ready_seconds{queue=\"\(queue)\"} \(Int(status.oldestReady?.seconds.rounded() ?? 0))",
            "# HELP queue_mailer_leases_held Requests claimed and not finished.",
            "# TYPE queue_mailer_leases_held gauge",
            "queue_mailer_leases_held{queue=\"\(queue)\"} \(status.leases.reduce(0) { $0 + $1.held })",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `instance`, a running instance's metrics file, without the metric families `own` already
    /// has: one exposition may name a family once, and the figure `status` just read is the
    /// fresher one (the instance writes `queue_mailer_oldest_ready_seconds` too).
    public static func instanceMetrics(_ instance: String, without own: String) -> String {
        let family = { (line: Substring) -> Substring in
            let words = line.split(maxSplits: 3, whereSeparator: \.isWhitespace)
            if words.first == "#" {
                return words.count > 2 ? words[2] : ""
            }
            return words.first?.prefix { $0 != "{" } ?? ""
        }
        let owned = Set(own.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("# TYPE ") }.map(family))
        // Any line end (a CRLF is one Character); written back with LF, as `run` writes.
        let kept = instance.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).filter { line in
            line.isEmpty || !owned.contains(family(line))
        }
        return kept.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int = 10) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
