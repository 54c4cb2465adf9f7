import Synchronization
import Testing
import TetherLocking
import TetherRetry
import TetherTestKit

// The examples of Docs/retry.md, compiled and run so the guide cannot drift from the API.

struct ServerBusy: Error {
    var retryAfter: Duration
}

struct BadCredentials: Error {}

/// Stands in for the guide's `connect()`: fails `failures` times, then succeeds.
final class FlakyServer: Sendable {
    private let remainingFailures: Locked<[any Error]>

    init(failures: [any Error]) {
        remainingFailures = Locked(failures)
    }

    func connect() async throws -> String {
        if let failure = remainingFailures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            throw failure
        }
        return "session"
    }
}

@Sendable func classify(_ error: any Error) -> RetryDecision {
    switch error {
    case is BadCredentials: .stop
    case let busy as ServerBusy: .retryAfter(busy.retryAfter)
    default: .retry
    }
}

@Suite("Retry guide examples")
struct RetryGuideExamplesTests {
    @Test("building a policy and inspecting its delays")
    func inspectDelays() throws {
        let policy = try ReconnectPolicy(
            baseDelay: .milliseconds(200),
            multiplier: 2,
            maximumDelay: .seconds(30),
            jitter: .full,
            maximumAttempts: 6
        )
        let delays = Array(policy.delays())
        #expect(delays.count == 5)
        #expect(delays.allSatisfy { $0 <= .seconds(30) })
    }

    @Test("a mistake names its field")
    func mistakeNamesField() {
        do {
            _ = try ReconnectPolicy(multiplier: 0.5)
            Issue.record("a multiplier below 1 was accepted")
        } catch {
            #expect(error.description == "invalid retry setting: multiplier must be at least 1 (got 0.5)")
        }
    }

    @Test("classifying failures, honouring a hint, handling the final error")
    func classifyAndHandle() async throws {
        let clock = ManualClock()
        let server = FlakyServer(failures: [ServerBusy(retryAfter: .seconds(30)), BadCredentials()])
        let run = Task {
            do {
                return try await withRetries(.default, clock: clock, classify: classify) { _ in
                    try await server.connect()
                }
            } catch let error as RetryError {
                switch error.reason {
                case .permanent: return "fix the credentials (\(error.attempts) attempts)"
                case .budgetExhausted: return "outage: give up for now"
                default: return "unreachable: \(error)"
                }
            } catch {
                return "not a RetryError: \(error)"
            }
        }
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [.init(offset: .seconds(30))])
        clock.advance(by: .seconds(30))
        #expect(await run.value == "fix the credentials (2 attempts)")
    }

    @Test("a budget shared by every caller, and an observer for logs")
    func sharedBudget() async throws {
        let budget = try RetryBudget(capacity: 20, refillPerSuccess: 0.1)
        let policy = try ReconnectPolicy(maximumAttempts: 5, maximumElapsed: .seconds(60))
        let lines = Locked<[String]>([])
        let server = FlakyServer(failures: [])
        let session = try await withRetries(
            policy,
            budget: budget,
            observe: { attempt in lines.withLock { $0.append("\(attempt)") } }
        ) { _ in
            try await server.connect()
        }
        #expect(session == "session")
        #expect(lines.withLock { $0.count } == 1)
    }
}
