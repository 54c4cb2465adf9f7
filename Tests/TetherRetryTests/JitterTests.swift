import Testing
import TetherTestKit

@testable import TetherRetry

@Suite("Jitter")
struct JitterTests {
    static let kinds: [Jitter] = [.none, .full, .equal, .decorrelated, .proportional(0.2)]

    @Test("every kind stays within its documented bounds", arguments: kinds)
    func bounds(_ jitter: Jitter) throws {
        let policy = try ReconnectPolicy(baseDelay: .seconds(1), maximumDelay: .seconds(30), jitter: jitter)
        let unjittered = try ReconnectPolicy(baseDelay: .seconds(1), maximumDelay: .seconds(30), jitter: .none)
        let random = SeededGenerator(seed: 7)
        let pairs = zip(policy.delays(using: random).prefix(40), unjittered.delays().prefix(40))
        for (delay, capped) in pairs {
            let (low, high) = Self.bounds(jitter, capped: capped.seconds)
            #expect(delay.seconds >= low - 1e-9 && delay.seconds <= high + 1e-9, "\(jitter): \(delay) vs \(capped)")
        }
    }

    private static func bounds(_ jitter: Jitter, capped: Double) -> (Double, Double) {
        switch jitter {
        case .none: (capped, capped)
        case .full: (0, capped)
        case .equal: (capped / 2, capped)
        case .decorrelated: (1, 30)
        default: (capped * 0.8, capped * 1.2)
        }
    }

    @Test("R2: a thousand clients' first retries spread across the jitter window", arguments: kinds.dropFirst())
    func firstRetriesSpread(_ jitter: Jitter) throws {
        let policy = try ReconnectPolicy(baseDelay: .seconds(10), maximumDelay: .seconds(120), jitter: jitter)
        var random = SeededGenerator(seed: 11)
        let delays = (0..<1000).map { _ in
            var backoff = Backoff(policy: policy)
            return backoff.next(using: &random)
        }
        try Self.expectSpread(delays)
    }

    @Test("R2: clients at the cap stay spread, because jitter comes after capping", arguments: kinds.dropFirst())
    func spreadAtCap(_ jitter: Jitter) throws {
        let policy = try ReconnectPolicy(baseDelay: .seconds(10), maximumDelay: .seconds(120), jitter: jitter)
        var random = SeededGenerator(seed: 13)
        let delays = (0..<1000).map { _ in
            var backoff = Backoff(policy: policy)
            return (0..<30).map { _ in backoff.next(using: &random) }.last!
        }
        try Self.expectSpread(delays)
    }

    /// No one-second bucket of the window the delays fall in holds more than three times the
    /// average: no thundering herd.
    private static func expectSpread(_ delays: [Duration]) throws {
        let seconds = delays.map(\.seconds)
        let low = try #require(seconds.min())
        let high = try #require(seconds.max())
        #expect(high - low >= 3, "delays bunch within \(high - low) s")
        var buckets: [Int: Int] = [:]
        for value in seconds {
            buckets[Int(value - low), default: 0] += 1
        }
        let average = Double(seconds.count) / (high - low).rounded(.up)
        let busiest = Double(buckets.values.max() ?? 0)
        #expect(busiest <= average * 3, "busiest second holds \(busiest), average \(average)")
    }

    @Test("a seeded generator gives the same delays twice")
    func deterministic() {
        let first = Array(ReconnectPolicy.default.delays(using: SeededGenerator(seed: 3)).prefix(10))
        let second = Array(ReconnectPolicy.default.delays(using: SeededGenerator(seed: 3)).prefix(10))
        #expect(first == second)
    }
}
