import Testing

@testable import TetherSMTP

@Suite("ConnectionStateMachine")
struct ConnectionStateMachineTests {
    let t0 = ContinuousClock.now

    func established(maximum: Int = 3, check: Duration = .seconds(30)) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(maximumMessages: maximum, idleCheckInterval: check)
        machine.established(at: t0)
        return machine
    }

    @Test("a fresh connection proceeds; one idle past the interval is checked first")
    func idleCheck() {
        var machine = established()
        #expect(machine.sendRequested(at: t0 + .seconds(1)) == .proceed)
        machine.transactionEnded(at: t0 + .seconds(2), counted: true, needsReset: false)
        #expect(machine.sendRequested(at: t0 + .seconds(40)) == .checkFirst)
    }

    @Test("a transaction left open is reset before the next one")
    func resetFirst() {
        var machine = established()
        _ = machine.sendRequested(at: t0)
        machine.transactionEnded(at: t0, counted: true, needsReset: true)
        #expect(machine.sendRequested(at: t0) == .resetFirst)
    }

    @Test("the maximum number of messages retires the connection; QUIT is still allowed")
    func maximum() {
        var machine = established(maximum: 1)
        _ = machine.sendRequested(at: t0)
        machine.transactionEnded(at: t0, counted: true, needsReset: false)
        #expect(!machine.isReusable && machine.canQuit)
        guard case .unusable = machine.sendRequested(at: t0) else {
            Issue.record("a full connection was offered for another message")
            return
        }
    }

    @Test("a broken connection is never reused and cannot QUIT; a concurrent send is refused")
    func broken() {
        var machine = established()
        _ = machine.sendRequested(at: t0)
        guard case .unusable = machine.sendRequested(at: t0) else {
            Issue.record("a second send was allowed on a busy connection")
            return
        }
        machine.failed("timed out")
        #expect(!machine.isReusable && !machine.canQuit)
        #expect(machine.sendRequested(at: t0) == .unusable("timed out"))
    }

    @Test("a close during a transaction wins; the transaction's end leaves it closed")
    func closeDuringTransaction() {
        var machine = established()
        _ = machine.sendRequested(at: t0)
        machine.closed()
        machine.transactionEnded(at: t0, counted: true, needsReset: false)
        #expect(!machine.isReusable && !machine.canQuit)
    }
}
