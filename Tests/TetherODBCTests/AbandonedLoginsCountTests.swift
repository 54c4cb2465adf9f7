import Testing
import TetherTestKit

@testable import TetherODBC

/// The bookkeeping behind ``ODBCEnvironment/waitForAbandonedLogins()``, without a driver:
/// when a wait ends, and what it reports.
@Suite("AbandonedLogins")
struct AbandonedLoginsCountTests {
    @Test("a wait ends when the last login ends, long before its deadline")
    func waitEndsWithLastLogin() async {
        let logins = AbandonedLogins()
        logins.abandoned(1, deadline: .now + .seconds(60))
        logins.abandoned(2, deadline: .now + .seconds(60))
        let started = ContinuousClock.now
        let waiter = Task { await logins.wait() }
        #expect(await yieldUntil { logins.waiting == 1 })
        logins.ended(1)
        #expect(logins.count == 1)
        logins.ended(2)
        #expect(await waiter.value == 0)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("a login abandoned during a wait neither lengthens it nor is counted in its result")
    func laterLoginsAreNotWaitedFor() async {
        let logins = AbandonedLogins()
        logins.abandoned(1, deadline: .now + .seconds(60))
        let waiter = Task { await logins.wait() }
        #expect(await yieldUntil { logins.waiting == 1 })
        logins.abandoned(2, deadline: .now + .seconds(60))
        logins.ended(1)
        #expect(await waiter.value == 0)
        #expect(logins.count == 1)
    }

    @Test("a login that overruns its deadline is reported, not waited for without end")
    func overrunIsReported() async {
        let logins = AbandonedLogins()
        logins.abandoned(1, deadline: .now + .milliseconds(50))
        #expect(await logins.wait() == 1)
        logins.ended(1)
        #expect(await logins.wait() == 0)
    }

    @Test("a cancelled wait still waits for the deadline")
    func cancelledWaitWaits() async {
        let logins = AbandonedLogins()
        let deadline = ContinuousClock.now + .milliseconds(200)
        logins.abandoned(1, deadline: deadline)
        let waiter = Task { await logins.wait() }
        waiter.cancel()
        #expect(await waiter.value == 1)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test("a record counts its login everywhere it is listed, with an id of its own")
    func recordCountsEverywhere() {
        let (environment, factory) = (AbandonedLogins(), AbandonedLogins())
        let first = AbandonedLogins.Record(counts: [environment, factory])
        let second = AbandonedLogins.Record(counts: [environment])
        #expect(first.id != second.id)
        first.abandoned(deadline: .now + .seconds(60))
        second.abandoned(deadline: .now + .seconds(60))
        #expect(environment.count == 2 && factory.count == 1)
        first.ended()
        #expect(environment.count == 1 && factory.count == 0)
    }

    @Test("with nothing abandoned a wait returns at once")
    func nothingToWaitFor() async {
        #expect(await AbandonedLogins().wait() == 0)
    }
}
