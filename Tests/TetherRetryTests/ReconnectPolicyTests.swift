import Testing
import TetherTestKit

@testable import TetherRetry

@Suite("ReconnectPolicy")
struct ReconnectPolicyTests {
    @Test("the defaults are gRPC's connection backoff: 1 s, x1.6, 120 s cap, 20 % jitter")
    func defaults() {
        let policy = ReconnectPolicy.default
        #expect(policy.baseDelay == .seconds(1))
        #expect(policy.multiplier == 1.6)
        #expect(policy.maximumDelay == .seconds(120))
        #expect(policy.jitter == .proportional(0.2))
        #expect(policy.maximumAttempts == nil)
        #expect(policy.maximumElapsed == nil)
        #expect(policy.attemptTimeout == nil)
        #expect(policy.maximumRetryAfter == .seconds(300))
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let field: String
        let code: ReconnectPolicyError.Code
        let make: @Sendable () throws -> ReconnectPolicy
        var testDescription: String { "\(field): \(code)" }
    }

    static let invalid: [Invalid] = [
        Invalid(field: "baseDelay", code: .notPositive) { try ReconnectPolicy(baseDelay: .zero) },
        Invalid(field: "baseDelay", code: .notPositive) { try ReconnectPolicy(baseDelay: .seconds(-1)) },
        Invalid(field: "multiplier", code: .multiplierBelowOne) { try ReconnectPolicy(multiplier: 0.5) },
        Invalid(field: "multiplier", code: .multiplierBelowOne) { try ReconnectPolicy(multiplier: -2) },
        Invalid(field: "multiplier", code: .notFinite) { try ReconnectPolicy(multiplier: .nan) },
        Invalid(field: "multiplier", code: .notFinite) { try ReconnectPolicy(multiplier: .infinity) },
        Invalid(field: "maximumDelay", code: .capBelowBase) {
            try ReconnectPolicy(baseDelay: .seconds(2), maximumDelay: .seconds(1))
        },
        Invalid(field: "jitter", code: .outOfRange) { try ReconnectPolicy(jitter: .proportional(1)) },
        Invalid(field: "jitter", code: .outOfRange) { try ReconnectPolicy(jitter: .proportional(-0.1)) },
        Invalid(field: "jitter", code: .notFinite) { try ReconnectPolicy(jitter: .proportional(.nan)) },
        Invalid(field: "maximumAttempts", code: .notPositive) { try ReconnectPolicy(maximumAttempts: 0) },
        Invalid(field: "maximumElapsed", code: .notPositive) { try ReconnectPolicy(maximumElapsed: .zero) },
        Invalid(field: "attemptTimeout", code: .notPositive) {
            try ReconnectPolicy(attemptTimeout: .milliseconds(-5))
        },
        Invalid(field: "maximumRetryAfter", code: .notPositive) { try ReconnectPolicy(maximumRetryAfter: .zero) },
    ]

    @Test("R1: a nonsensical setting is rejected when the policy is made, naming the field", arguments: invalid)
    func rejectsInvalid(_ case: Invalid) throws {
        let error = #expect(throws: ReconnectPolicyError.self) { try `case`.make() }
        let caught = try #require(error)
        #expect(caught.field == `case`.field)
        #expect(caught.code == `case`.code)
        #expect(caught.description.contains(`case`.field))
    }

    @Test("R1: the smallest valid settings make a policy whose delays never reach zero")
    func smallestValid() throws {
        let policy = try ReconnectPolicy(baseDelay: .nanoseconds(1), multiplier: 1, maximumDelay: .nanoseconds(1))
        let delays = Array(policy.delays(using: SeededGenerator(seed: 1)).prefix(100))
        #expect(delays.allSatisfy { $0 > .zero })
    }

    @Test("without jitter the delays follow base x multiplier^(n-1), capped: the documented table")
    func documentedTable() throws {
        let policy = try ReconnectPolicy(jitter: .none)
        let delays = policy.delays().prefix(13).map { ($0.seconds * 1000).rounded() / 1000 }
        let expected = [1, 1.6, 2.56, 4.096, 6.554, 10.486, 16.777, 26.844, 42.95, 68.719, 109.951, 120, 120]
        #expect(delays == expected)
    }

    @Test("the delay sequence has maximumAttempts - 1 elements")
    func delayCount() throws {
        let policy = try ReconnectPolicy(maximumAttempts: 4)
        #expect(Array(policy.delays()).count == 3)
        let single = try ReconnectPolicy(maximumAttempts: 1)
        #expect(Array(single.delays()).isEmpty)
    }

    @Test("a huge attempt count neither overflows nor exceeds the cap")
    func noOverflow() throws {
        let policy = try ReconnectPolicy(multiplier: 1000, maximumDelay: .seconds(60), jitter: .none)
        var backoff = Backoff(policy: policy)
        var random = SeededGenerator(seed: 2)
        for _ in 0..<10_000 {
            #expect(backoff.next(using: &random) <= .seconds(60))
        }
    }
}
