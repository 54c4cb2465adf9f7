import Synchronization
import Testing
import TetherLocking
import TetherRetry
import TetherTestKit

struct Refused: Error, Equatable {
    var code = 0
}

/// Counts attempts and records what the observer saw.
final class Recorder: Sendable {
    let attempts = Atomic(0)
    let seen = Locked<[RetryAttempt]>([])

    func observe(_ attempt: RetryAttempt) {
        seen.withLock { $0.append(attempt) }
    }

    var observed: [RetryAttempt] { seen.withLock { $0 } }
}

@Suite("withRetries")
struct WithRetriesTests {
    let clock = ManualClock()
    let recorder = Recorder()

    @Test("it retries after the policy's delays on the injected clock, then returns the result")
    func succeedsAfterFailures() async throws {
        let policy = try ReconnectPolicy(jitter: .none)
        let recorder = recorder
        let run = Task { [clock] in
            try await withRetries(policy, clock: clock, observe: recorder.observe) { attempt in
                recorder.attempts.add(1, ordering: .relaxed)
                guard attempt == 3 else { throw Refused() }
                return "connected"
            }
        }
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(1))])
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(2.6))])
        clock.advance(by: .seconds(1.6))
        #expect(try await run.value == "connected")
        #expect(recorder.attempts.load(ordering: .relaxed) == 3)
        let seen = recorder.observed
        #expect(seen.map(\.number) == [1, 2, 3])
        #expect(seen.map(\.nextDelay) == [.seconds(1), .seconds(1.6), nil])
        #expect(seen.last?.error == nil)
    }

    @Test("R3: cancelling during the backoff sleep ends at once and starts no further attempt")
    func cancelDuringSleep() async throws {
        let recorder = recorder
        let run = Task { [clock] in
            try await withRetries(.default, clock: clock) { _ in
                recorder.attempts.add(1, ordering: .relaxed)
                throw Refused()
            }
        }
        await clock.waitForSleepers(1)
        run.cancel()
        let error = await #expect(throws: RetryError.self) { try await run.value }
        #expect(error?.reason == .cancelled)
        #expect(error?.attempts == 1)
        #expect(error?.underlying is Refused)
        #expect(clock.sleeperCount == 0)
        #expect(recorder.attempts.load(ordering: .relaxed) == 1)
    }

    @Test("R4: a permanent failure is returned unchanged with the attempts made, without waiting")
    func permanentFailure() async throws {
        let clock = clock
        let error = await #expect(throws: RetryError.self) {
            try await withRetries(.default, clock: clock, classify: { _ in .stop }) { _ -> Int in
                throw Refused(code: 550)
            }
        }
        #expect(error?.reason == .permanent)
        #expect(error?.attempts == 1)
        #expect(error?.underlying as? Refused == Refused(code: 550))
        #expect(error?.description.contains("1 attempt") == true)
    }

    @Test("the attempt limit ends with attemptsExhausted and the last error")
    func attemptsExhausted() async throws {
        let policy = try ReconnectPolicy(maximumAttempts: 2)
        let run = Task { [clock] in
            try await withRetries(policy, clock: clock) { attempt -> Int in throw Refused(code: attempt) }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        let error = await #expect(throws: RetryError.self) { try await run.value }
        #expect(error?.reason == .attemptsExhausted)
        #expect(error?.attempts == 2)
        #expect(error?.underlying as? Refused == Refused(code: 2))
    }

    @Test("an empty budget surfaces the failure at once, without waiting, and says so")
    func budgetExhausted() async throws {
        let budget = try RetryBudget(capacity: 1, refillPerSuccess: 0)
        _ = budget.tryAcquireRetry()
        let recorder = recorder
        let clock = clock
        let error = await #expect(throws: RetryError.self) {
            try await withRetries(.default, clock: clock, budget: budget, observe: recorder.observe) { _ -> Int in
                throw Refused()
            }
        }
        #expect(error?.reason == .budgetExhausted)
        #expect(error?.attempts == 1)
        #expect(error?.description.contains("budget_exhausted") == true)
        #expect(recorder.observed.map(\.stopReason) == [.budgetExhausted])
        #expect(clock.now == .init(offset: .zero), "no time passed before the failure surfaced")
    }

    @Test("a retry cancelled in its wait gives its budget token back")
    func cancelledWaitRefunds() async throws {
        let budget = try RetryBudget(capacity: 2, refillPerSuccess: 0)
        let run = Task { [clock] in
            try await withRetries(.default, clock: clock, budget: budget) { _ -> Int in throw Refused() }
        }
        await clock.waitForSleepers(1)
        #expect(budget.availableTokens == 1)
        run.cancel()
        _ = await run.result
        #expect(budget.availableTokens == 2)
    }

    @Test("an attempt past its timeout is cancelled and classified as AttemptTimeoutError")
    func attemptTimeout() async throws {
        let policy = try ReconnectPolicy(maximumAttempts: 1, attemptTimeout: .seconds(5))
        let run = Task { [clock] in
            try await withRetries(policy, clock: clock) { _ in
                try await clock.sleep(for: .seconds(60))
                return 1
            }
        }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(5))
        let error = await #expect(throws: RetryError.self) { try await run.value }
        #expect(error?.underlying as? AttemptTimeoutError == AttemptTimeoutError(attempt: 1, timeout: .seconds(5)))
        #expect(clock.sleeperCount == 0)
    }

    @Test("a retry-after hint is waited out on the clock")
    func retryAfterHint() async throws {
        let policy = try ReconnectPolicy(jitter: .none)
        let run = Task { [clock] in
            try await withRetries(policy, clock: clock, classify: { _ in .retryAfter(.seconds(42)) }) { attempt in
                guard attempt == 2 else { throw Refused() }
                return attempt
            }
        }
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(42))])
        clock.advance(by: .seconds(42))
        #expect(try await run.value == 2)
    }

    @Test("the elapsed limit counts from the first attempt and shortens the last wait")
    func elapsedLimit() async throws {
        let policy = try ReconnectPolicy(baseDelay: .seconds(10), jitter: .none, maximumElapsed: .seconds(15))
        let run = Task { [clock] in
            try await withRetries(policy, clock: clock) { _ -> Int in
                try await clock.sleep(for: .seconds(1))
                throw Refused()
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(11))])
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(15))], "clamped from 16 s to the limit")
        clock.advance(by: .seconds(3))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: RetryError.self) { try await run.value }
        #expect(error?.reason == .elapsedExhausted)
        #expect(error?.attempts == 3)
    }
}
