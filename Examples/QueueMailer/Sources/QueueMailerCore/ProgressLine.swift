/// The live line `run --until-empty` shows on a terminal.
///
/// ```
/// 37/120 done  12.4 msg/s  2 failed  1 unknown  ~7s left
/// ```
public struct ProgressLine: Sendable, Equatable {
    /// Requests finished (sent, failed or unknown) since the run started.
    public var done: Int
    /// Requests to finish: those done plus those still ready or running.
    public var total: Int
    /// Requests that ended as failed.
    public var failed: Int
    /// Requests that ended as unknown.
    public var unknown: Int
    /// Time since the run started.
    public var elapsed: Duration
    /// What the run waits for, when it waits (scheduled requests, the relay). Defaults to `nil`.
    public var note: String?

    public init(done: Int, total: Int, failed: Int, unknown: Int, elapsed: Duration) {
        self.done = done
        self.total = total
        self.failed = failed
        self.unknown = unknown
        self.elapsed = elapsed
    }

    /// Finished requests per second so far.
    public var rate: Double {
        let seconds = DurationText.seconds(of: elapsed)
        return seconds > 0 ? Double(done) / seconds : 0
    }

    /// The estimated time left at the current rate, or `nil` before the first request is done.
    public var remaining: Duration? {
        guard rate > 0 else { return nil }
        return .milliseconds(Int64((Double(max(total - done, 0)) / rate * 1000).rounded()))
    }

    /// The line's text, without a line ending.
    public var text: String {
        var parts = ["\(done)/\(total) done", "\(Self.oneDecimal(rate)) msg/s", "\(failed) failed"]
        if unknown > 0 { parts.append("\(unknown) unknown") }
        if let note {
            parts.append(note)
        } else if let remaining {
            parts.append("~\(DurationText.format(.seconds(DurationText.milliseconds(of: remaining) / 1000))) left")
        }
        return parts.joined(separator: "  ")
    }

    /// The text for a terminal: return to the line's start, write, clear what an older line left.
    public var terminalText: String { "\r" + text + "\u{1B}[K" }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
