import QueueMailerCore
import Testing

@Suite("LifecycleStateMachine")
struct LifecycleStateMachineTests {
    @Test("the first shutdown request stops claiming; the second cancels sends in flight")
    func twoSignals() {
        var machine = LifecycleStateMachine()
        #expect(machine.shutdownRequested() == .stopClaiming)
        #expect(machine.state == .draining)
        #expect(machine.shutdownRequested() == .cancelSends)
        #expect(machine.state == .forcing)
        #expect(machine.shutdownRequested() == .none)
    }

    @Test("the shutdown timeout while draining cancels sends; after a second signal it does nothing more")
    func timeout() {
        var draining = LifecycleStateMachine()
        _ = draining.shutdownRequested()
        #expect(draining.shutdownTimeoutFired() == .cancelSends)
        #expect(draining.state == .forcing)
        #expect(draining.shutdownTimeoutFired() == .none)
    }

    @Test("once the workers are done, signals and timeouts change nothing")
    func stopped() {
        var machine = LifecycleStateMachine()
        _ = machine.shutdownRequested()
        machine.workersFinished()
        #expect(machine.state == .stopped)
        #expect(machine.shutdownRequested() == .none)
        #expect(machine.shutdownTimeoutFired() == .none)
    }

    @Test("a run that empties the queue stops without any shutdown action")
    func untilEmpty() {
        var machine = LifecycleStateMachine()
        machine.workersFinished()
        #expect(machine.state == .stopped)
    }
}
