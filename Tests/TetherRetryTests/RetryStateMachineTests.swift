import Testing
import TetherTestKit

@testable import TetherRetry

@Suite("RetryStateMachine")
struct RetryStateMachineTests {
    private func machine(_ policy: ReconnectPolicy) -> RetryStateMachine<SeededGenerator> {
        RetryStateMachine(policy: policy, generator: SeededGenerator(seed: 5))
    }

    @Test("a retryable failure waits the policy's delay, then the next attempt is numbered")
    func retryWaitsThenCounts() throws {
        var retry = machine(try ReconnectPolicy(jitter: .none))
        #expect(retry.attemptStarted() == 1)
        #expect(retry.attemptFailed(.retry, elapsed: .zero) == .retry(after: .seconds(1)))
        #expect(retry.attemptStarted() == 2)
        #expect(retry.attemptFailed(.retry, elapsed: .seconds(1)) == .retry(after: .seconds(1.6)))
        #expect(retry.attemptStarted() == 3)
        retry.attemptSucceeded()
        #expect(retry.state == .finished)
        #expect(retry.attempts == 3)
    }

    @Test("R4: a permanent failure stops at once, counting the attempts made")
    func permanentStops() throws {
        var retry = machine(.default)
        _ = retry.attemptStarted()
        _ = retry.attemptFailed(.retry, elapsed: .zero)
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.stop, elapsed: .seconds(1)) == .stop(.permanent))
        #expect(retry.attempts == 2)
    }

    @Test("the attempt limit stops after the last attempt, not before")
    func attemptLimit() throws {
        var retry = machine(try ReconnectPolicy(maximumAttempts: 2))
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retry, elapsed: .zero) != .stop(.attemptsExhausted))
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retry, elapsed: .zero) == .stop(.attemptsExhausted))
        #expect(retry.attempts == 2)
    }

    @Test("the last wait is clamped to the time left, then the elapsed limit stops")
    func elapsedClamp() throws {
        let policy = try ReconnectPolicy(baseDelay: .seconds(10), jitter: .none, maximumElapsed: .seconds(12))
        var retry = machine(policy)
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retry, elapsed: .seconds(1)) == .retry(after: .seconds(10)))
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retry, elapsed: .seconds(11)) == .retry(after: .seconds(1)))
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retry, elapsed: .seconds(12)) == .stop(.elapsedExhausted))
    }

    @Test("a retry-after hint lengthens the wait and is clamped to maximumRetryAfter")
    func hintClamped() throws {
        let policy = try ReconnectPolicy(jitter: .none, maximumRetryAfter: .seconds(30))
        var retry = machine(policy)
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retryAfter(.seconds(5)), elapsed: .zero) == .retry(after: .seconds(5)))
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retryAfter(.seconds(3600)), elapsed: .zero) == .retry(after: .seconds(30)))
        _ = retry.attemptStarted()
        guard case .retry(let delay) = retry.attemptFailed(.retryAfter(.milliseconds(1)), elapsed: .zero) else {
            Issue.record("a short hint stopped the retries")
            return
        }
        #expect(abs(delay.seconds - 2.56) < 1e-9, "a hint shorter than the backoff does not shorten it")
    }

    @Test("a hint that ends after the elapsed limit stops now instead of retrying too early")
    func hintBeyondLimit() throws {
        let policy = try ReconnectPolicy(jitter: .none, maximumElapsed: .seconds(20))
        var retry = machine(policy)
        _ = retry.attemptStarted()
        #expect(retry.attemptFailed(.retryAfter(.seconds(60)), elapsed: .seconds(1)) == .stop(.elapsedExhausted))
    }

    @Test("a refused budget token and a cancellation each finish the loop")
    func refusedAndCancelled() {
        var refused = machine(.default)
        _ = refused.attemptStarted()
        _ = refused.attemptFailed(.retry, elapsed: .zero)
        #expect(refused.retryRefused() == .budgetExhausted)
        #expect(refused.attempts == 1)

        var cancelled = machine(.default)
        #expect(cancelled.cancelled() == .cancelled)
        #expect(cancelled.attempts == 0)
    }

    @Test("an event in a state that cannot take it traps, naming state and event")
    func impossibleTransitionTraps() async {
        await #expect(processExitsWith: .failure) {
            var retry = RetryStateMachine(policy: .default, generator: SeededGenerator(seed: 1))
            retry.attemptSucceeded()
        }
    }
}
