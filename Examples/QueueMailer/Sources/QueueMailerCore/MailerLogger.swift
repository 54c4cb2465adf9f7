import Foundation
import Synchronization
import TetherLocking

/// How important a log line is.
public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case debug
    case info
    case warning
    case error

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

/// One line per event, `key=value`, for operators and log collectors.
///
/// ```
/// ts=2026-12-04T16:00:00.000Z level=info event=started instance=mx1-4711 queue=default concurrency=4
/// ```
///
/// Callers pass only values safe to show: never a password, a connect string with one, or a
/// message body. A value with spaces, quotes or `=` is quoted; control characters are escaped,
/// so one event is always one line.
public struct MailerLogger: Sendable {
    /// Where finished lines go.
    public typealias Sink = @Sendable (String) -> Void

    /// The lowest level written.
    public let level: LogLevel
    private let sink: Sink
    private let now: @Sendable () -> Date

    /// A logger writing lines of `level` and above to `sink` (standard error by default).
    public init(level: LogLevel = .info, now: @escaping @Sendable () -> Date = Date.init, sink: Sink? = nil) {
        self.level = level
        self.now = now
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Writes `event` with `fields` in the given order, if `level` is enabled.
    public func log(_ level: LogLevel, _ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) {
        guard level >= self.level else { return }
        var line = "ts=\(Self.timestamp(now())) level=\(level.rawValue) event=\(Self.quoted(event))"
        for (key, value) in fields {
            line += " \(key)=\(Self.quoted(String(describing: value)))"
        }
        sink(line)
    }

    /// Writes `event` at info.
    public func info(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) {
        log(.info, event, fields)
    }

    /// Writes `event` at warning.
    public func warning(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) {
        log(.warning, event, fields)
    }

    /// Writes `event` at error.
    public func error(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) {
        log(.error, event, fields)
    }

    /// Writes `event` at debug.
    public func debug(_ event: String, _ fields: KeyValuePairs<String, any Sendable> = [:]) {
        log(.debug, event, fields)
    }

    /// `value` as it appears after `key=`: bare when safe, otherwise in quotes with escapes.
    public static func quoted(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { scalar in
                scalar.value > 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "=" && scalar != "\\"
            }
        if plain { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// Collects log lines in memory, for tests and for `status` output.
public final class LogCapture: Sendable {
    private let storage = Locked<[String]>([])

    public init() {}

    /// A logger writing into this capture.
    public func logger(level: LogLevel = .debug) -> MailerLogger {
        MailerLogger(level: level, sink: { line in self.storage.withLock { $0.append(line) } })
    }

    /// The lines written so far.
    public var lines: [String] { storage.withLock { $0 } }
}
