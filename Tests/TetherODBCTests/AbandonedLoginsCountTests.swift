import Testing
import TetherTestKit

@testable import TetherODBC

/// The bookkeeping behind ``ODBCEnvironment/waitForAbandonedLogins()``, without a driver:
/// when a wait ends, and what it reports.
@Suite("AbandonedLogins")
struct AbandonedLoginsCountTests {
    private final class Login {}

    @Test("a wait ends when the last login ends, long before its deadline")
    func waitEndsWithLastLogin() async {
        let logins = AbandonedLogins()
        let (first, second) = (Login(), Login())
        logins.abandoned(ObjectIdentifier(first), deadline: .now + .seconds(60))
        logins.abandoned(ObjectIdentifier(second), deadline: .now + .seconds(60))
        let started = ContinuousClock.now
        let waiter = Task { await logins.wait() }
        #expect(await yieldUntil { logins.waiting == 1 })
        logins.ended(ObjectIdentifier(first))
        #expect(logins.waiting == 1)
        #expect(logins.count == 1)
        logins.ended(ObjectIdentifier(second))
        #expect(await waiter.value == 0)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("a login that overruns its deadline is reported, not waited for without end")
    func overrunIsReported() async {
        let logins = AbandonedLogins()
        let stuck = Login()
        logins.abandoned(ObjectIdentifier(stuck), deadline: .now + .milliseconds(50))
        #expect(await logins.wait() == 1)
        logins.ended(ObjectIdentifier(stuck))
        #expect(await logins.wait() == 0)
    }

    @Test("a cancelled wait still waits for the deadline")
    func cancelledWaitWaits() async {
        let logins = AbandonedLogins()
        let stuck = Login()
        let deadline = ContinuousClock.now + .milliseconds(200)
        logins.abandoned(ObjectIdentifier(stuck), deadline: deadline)
        let waiter = Task { await logins.wait() }
        waiter.cancel()
        #expect(await waiter.value == 1)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test("with nothing abandoned a wait returns at once")
    func nothingToWaitFor() async {
        #expect(await AbandonedLogins().wait() == 0)
    }
}
