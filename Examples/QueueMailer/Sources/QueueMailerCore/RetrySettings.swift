import TetherRetry

/// Backoff settings as the configuration file states them; turned into a `ReconnectPolicy` to use.
///
/// The wait before retry n (n = 1, 2, ...) is `min(baseDelay * multiplier^(n-1), maximumDelay)`,
/// then spread by `jitter` (0.2 means up to 20% either way). For sends with the defaults:
///
/// | retry | 1 | 2 | 3 | 4 | 5 | 6 |
/// |---|---|---|---|---|---|---|
/// | wait | 30s | 1m | 2m | 4m | 8m | 16m |
///
/// A relay's "try again after N seconds" hint raises the wait to N, capped by ``maximumHint``.
public struct RetrySettings: Sendable, Equatable {
    /// The first wait. Defaults to 30 seconds for sends, 500 ms for the database.
    public var baseDelay: Duration
    /// Growth per retry. Defaults to 2.
    public var multiplier: Double
    /// The longest wait. Defaults to 30 minutes for sends, 30 seconds for the database.
    public var maximumDelay: Duration
    /// The share of each wait chosen at random either way. Defaults to 0.2.
    public var jitter: Double
    /// The longest wait a server's hint can ask for. Defaults to 1 hour.
    public var maximumHint: Duration

    /// Settings with the send defaults.
    public init() {
        self = .sendDefault
    }

    /// Settings with the given values.
    public init(
        baseDelay: Duration, multiplier: Double, maximumDelay: Duration, jitter: Double,
        maximumHint: Duration = .seconds(3600)
    ) {
        self.baseDelay = baseDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = jitter
        self.maximumHint = maximumHint
    }

    /// The defaults for retrying sends: 30 seconds doubling to 30 minutes.
    public static let sendDefault = RetrySettings(
        baseDelay: .seconds(30), multiplier: 2, maximumDelay: .seconds(1800), jitter: 0.2)

    /// The defaults for reconnecting to the database: 500 ms doubling to 30 seconds, forever.
    public static let databaseDefault = RetrySettings(
        baseDelay: .milliseconds(500), multiplier: 2, maximumDelay: .seconds(30), jitter: 0.2)

    /// The defaults for probing an unavailable relay: 1 second doubling to 30 seconds, forever.
    public static let relayProbeDefault = RetrySettings(
        baseDelay: .seconds(1), multiplier: 2, maximumDelay: .seconds(30), jitter: 0.2)

    /// Reads the fields present in `reader` over `base`.
    ///
    /// - Throws: ``MailerError`` naming the first bad or unknown field.
    public static func read(_ reader: FieldReader, over base: RetrySettings) throws -> RetrySettings {
        try reader.rejectUnknownKeys(["base_delay", "multiplier", "maximum_delay", "jitter", "maximum_hint"])
        var settings = base
        settings.baseDelay = try reader.duration("base_delay", minimum: .milliseconds(1)) ?? base.baseDelay
        settings.multiplier = try reader.double("multiplier", in: 1...10) ?? base.multiplier
        settings.maximumDelay = try reader.duration("maximum_delay", minimum: .milliseconds(1)) ?? base.maximumDelay
        settings.jitter = try reader.double("jitter", in: 0...0.9) ?? base.jitter
        settings.maximumHint = try reader.duration("maximum_hint") ?? base.maximumHint
        guard settings.maximumDelay >= settings.baseDelay else {
            throw reader.error("maximum_delay", "must not be shorter than base_delay")
        }
        return settings
    }

    /// The TetherRetry policy these settings describe; attempts are not limited here (the
    /// request's `max_attempts` limits sends, and database retries never stop).
    ///
    /// - Throws: ``MailerError`` naming `section` when TetherRetry refuses a value.
    public func policy(section: String) throws -> ReconnectPolicy {
        do {
            return try ReconnectPolicy(
                baseDelay: baseDelay, multiplier: multiplier, maximumDelay: maximumDelay,
                jitter: .proportional(jitter), maximumRetryAfter: max(maximumHint, .milliseconds(1)))
        } catch {
            throw MailerError(.configuration, field: section, "\(error)")
        }
    }

    /// The wait after failed attempt `attempt` (1-based) under `policy`, jittered.
    public static func delay(after attempt: Int, policy: ReconnectPolicy) -> Duration {
        var backoff = Backoff(policy: policy)
        var random = SystemRandomNumberGenerator()
        var delay = backoff.next(using: &random)
        for _ in 1..<min(max(attempt, 1), 64) {
            delay = backoff.next(using: &random)
        }
        return delay
    }
}
