extension SMTPReply {
    /// The wait the server asks for in its text ("try again in 30 seconds"), or `nil`.
    ///
    /// Servers word it in many ways (`try again in 30 seconds`, `retry after 2 minutes`,
    /// `4.7.0 Try again later (120s)`); this takes the first number followed by a time unit in a
    /// reply that speaks of trying again. A reply with no such wording states no delay, and the
    /// caller's own backoff decides.
    public var statedRetryDelay: Duration? { RetryDelayText.parse(text) }
}

/// Reads "try again after N units" out of reply text.
enum RetryDelayText {
    static func parse(_ text: String) -> Duration? {
        let lower = text.lowercased()
        guard ["try", "again", "after", "retry", "later", "wait"].contains(where: lower.contains) else { return nil }
        let scalars = Array(lower.unicodeScalars)
        var index = 0
        while index < scalars.count {
            // A number glued to letters or digits before it ("x25s", "4.7.0") is not a wait.
            guard isDigit(scalars[index]), index == 0 || !isLetterOrDigit(scalars[index - 1]) else {
                index += 1
                continue
            }
            var number = 0
            while index < scalars.count, isDigit(scalars[index]), number < 1_000_000 {
                number = number * 10 + Int(scalars[index].value - 48)
                index += 1
            }
            while index < scalars.count, scalars[index] == " " { index += 1 }
            var unit = ""
            while index < scalars.count, ("a"..."z").contains(scalars[index]) {
                unit.unicodeScalars.append(scalars[index])
                index += 1
            }
            if let seconds = unitSeconds[unit] { return .seconds(number * seconds) }
        }
        return nil
    }

    private static let unitSeconds: [String: Int] = [
        "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
        "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "h": 3600, "hour": 3600, "hours": 3600,
    ]

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        isDigit(scalar) || ("a"..."z").contains(scalar)
    }
}
