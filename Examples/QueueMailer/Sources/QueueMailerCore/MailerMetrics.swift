import Foundation
import Synchronization
import TetherLocking

/// The instance's counters, gauges and send-latency histogram, rendered in Prometheus text format.
///
/// Outcome counters grow when the result row is written, not when a reply arrives, so they
/// never count what the result table does not hold. ``writeTextfile(to:)`` follows the node
/// exporter's textfile convention: write a temporary file beside the target, then rename.
public final class MailerMetrics: Sendable {
    /// The counters, exported as `queue_mailer_<name>_total`.
    public enum Counter: String, Sendable, CaseIterable {
        case claimed
        case sent
        case retried
        case failed
        case unknown
        case released
        case deferred
        case reaped
        case databaseErrors = "database_errors"
        case unwritable

        var help: String {
            switch self {
            case .claimed: "Requests claimed from the queue."
            case .sent: "Attempts recorded as sent."
            case .retried: "Attempts recorded as retry (transient failure, scheduled again)."
            case .failed: "Attempts recorded as failed (permanent failure or bad data)."
            case .unknown: "Attempts recorded as unknown (the relay may have the message)."
            case .released: "Claimed requests handed back unsent (shutdown, or earlier results unreadable)."
            case .deferred: "Attempts handed back unsent because the relay was unavailable; not counted as attempts."
            case .reaped: "Expired leases of other attempts requeued by this instance's reaper."
            case .databaseErrors: "Database operations that failed and were retried."
            case .unwritable:
                "Results the database refused to store (their request was deleted meanwhile); logged as errors."
            }
        }
    }

    /// Upper bounds of the send-latency histogram buckets, in seconds.
    public static let latencyBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    private struct State {
        var counters: [Counter: Int] = [:]
        var gauges: [String: Gauge] = [:]
        var bucketCounts = [Int](repeating: 0, count: MailerMetrics.latencyBuckets.count)
        var latencyCount = 0
        var latencySum = 0.0
    }

    private struct Gauge {
        var help: String
        var value: Double
    }

    private let state = Locked(State())
    /// The queue these metrics are labelled with.
    public let queue: String

    /// Empty metrics for `queue`.
    public init(queue: String) {
        self.queue = queue
    }

    /// Adds `amount` to `counter`.
    public func increment(_ counter: Counter, by amount: Int = 1) {
        state.withLock { $0.counters[counter, default: 0] += amount }
    }

    /// The current value of `counter`.
    public func value(of counter: Counter) -> Int {
        state.withLock { $0.counters[counter, default: 0] }
    }

    /// Records one send that took `duration`, from the first byte to the final reply.
    public func observeSendLatency(_ duration: Duration) {
        let seconds = DurationText.seconds(of: duration)
        state.withLock { state in
            for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound {
                state.bucketCounts[index] += 1
            }
            state.latencyCount += 1
            state.latencySum += seconds
        }
    }

    /// Sets the gauge `queue_mailer_<name>` to `value`.
    public func setGauge(_ name: String, _ value: Double, help: String) {
        state.withLock { $0.gauges[name] = Gauge(help: help, value: value) }
    }

    /// The metrics in Prometheus text exposition format.
    public func render() -> String {
        let snapshot = state.withLock { $0 }
        let label = "queue=\"\(queue.replacingOccurrences(of: "\"", with: ""))\""
        var lines: [String] = []
        for counter in Counter.allCases {
            let name = "queue_mailer_\(counter.rawValue)_total"
            lines += ["# HELP \(name) \(counter.help)", "# TYPE \(name) counter"]
            lines.append("\(name){\(label)} \(snapshot.counters[counter, default: 0])")
        }
        for (name, gauge) in snapshot.gauges.sorted(by: { $0.key < $1.key }) {
            lines += ["# HELP queue_mailer_\(name) \(gauge.help)", "# TYPE queue_mailer_\(name) gauge"]
            lines.append("queue_mailer_\(name){\(label)} \(Self.format(gauge.value))")
        }
        let histogram = "queue_mailer_send_latency_seconds"
        lines += [
            "# HELP \(histogram) Time from the first byte of a send to its final reply.",
            "# TYPE \(histogram) histogram",
        ]
        for (index, bound) in Self.latencyBuckets.enumerated() {
            lines.append("\(histogram)_bucket{\(label),le=\"\(Self.format(bound))\"} \(snapshot.bucketCounts[index])")
        }
        lines.append("\(histogram)_bucket{\(label),le=\"+Inf\"} \(snapshot.latencyCount)")
        lines.append("\(histogram)_sum{\(label)} \(Self.format(snapshot.latencySum))")
        lines.append("\(histogram)_count{\(label)} \(snapshot.latencyCount)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes ``render()`` to `path` atomically: a temporary file in the same directory, then a rename.
    ///
    /// - Throws: the file system's error when the directory is not writable.
    public func writeTextfile(to path: String) throws {
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        try Data(render().utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw MailerError(.configuration, field: "metrics.textfile", "cannot rename into \(path): errno \(code)")
        }
    }

    private static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
