/// Durations as operators write them: `250ms`, `5s`, `1.5s`, `2m`, `1h`.
public enum DurationText {
    /// The longest duration a setting may have: 365 days. Longer ones are refused, not
    /// clamped: they are mistakes, and would overflow the clock's arithmetic.
    public static let longest = Duration.seconds(365 * 24 * 3600)

    /// Parses `text`; a bare number means seconds. Returns `nil` for anything else, a negative
    /// value, or one longer than ``longest``.
    public static func parse(_ text: String) -> Duration? {
        seconds(parsing: text).flatMap(duration(seconds:))
    }

    /// The seconds `text` states, however many; `nil` when it is not a duration.
    public static func seconds(parsing text: String) -> Double? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let trimmed = text.filter { $0 != " " }
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        guard let number = Double(trimmed.dropLast(unit?.suffix.count ?? 0)), number.isFinite, number >= 0 else {
            return nil
        }
        return number * (unit?.seconds ?? 1)
    }

    /// `seconds` as a duration to the millisecond; `nil` when negative, not finite or longer
    /// than ``longest``.
    public static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= Double(longest.components.seconds) else {
            return nil
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Formats `duration` in the largest unit that keeps it whole to the millisecond (`1500ms`, `30s`, `2m`).
    public static func format(_ duration: Duration) -> String {
        let milliseconds = milliseconds(of: duration)
        if milliseconds % 3_600_000 == 0 && milliseconds != 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds != 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    /// Whole milliseconds in `duration`, rounded down.
    public static func milliseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds in `duration` as a `Double`, for rates and metrics.
    public static func seconds(of duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
