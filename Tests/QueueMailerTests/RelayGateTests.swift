import Testing
import TetherTestKit

@testable import QueueMailerCore

@Suite("RelayGateStateMachine")
struct RelayGateStateMachineTests {
    private typealias Machine = RelayGateStateMachine<ManualClock.Instant>
    private let start = ManualClock.Instant(offset: .zero)

    private func at(_ seconds: Int) -> ManualClock.Instant {
        start.advanced(by: .seconds(seconds))
    }

    @Test("the first relay-unavailable verdict closes the gate; later ones change nothing")
    func firstVerdictCloses() {
        var machine = Machine()
        #expect(machine.isOpen)
        #expect(machine.nextProbeAttempt == nil)
        #expect(machine.relayUnavailable(reason: "535 refused", at: at(1)) == .closeGate(reason: "535 refused"))
        #expect(!machine.isOpen)
        #expect(machine.relayUnavailable(reason: "connect refused", at: at(2)) == .none)
        #expect(machine.outage(at: at(11)) == .seconds(10), "the outage counts from the first verdict")
    }

    @Test("failed probes raise the backoff attempt; a successful probe opens with the outage's length")
    func probesBackOffThenOpen() {
        var machine = Machine()
        _ = machine.relayUnavailable(reason: "421 down", at: at(0))
        #expect(machine.nextProbeAttempt == 1)
        machine.probeStarted()
        #expect(machine.probeFailed() == .probeAgain(attempt: 2, atOnce: false))
        machine.probeStarted()
        #expect(machine.probeFailed() == .probeAgain(attempt: 3, atOnce: false))
        #expect(machine.nextProbeAttempt == 3)
        machine.probeStarted()
        #expect(machine.probeSucceeded(at: at(35)) == .openGate(outage: .seconds(35), reason: "421 down"))
        #expect(machine.isOpen)
        #expect(machine.outage(at: at(40)) == nil)
    }

    @Test("a swap while closed probes at once; during a probe it asks for the next probe at once")
    func swapProbesAtOnce() {
        var machine = Machine()
        #expect(machine.relaySwapped() == .none, "an open gate needs no probe")
        _ = machine.relayUnavailable(reason: "535 refused", at: at(0))
        #expect(machine.relaySwapped() == .probeNow)
        machine.probeStarted()
        #expect(machine.relaySwapped() == .none)
        #expect(machine.probeFailed() == .probeAgain(attempt: 2, atOnce: true))
        machine.probeStarted()
        #expect(machine.probeFailed() == .probeAgain(attempt: 3, atOnce: false), "the swap was probed")
    }

    @Test("an outage soon after the last one continues its backoff, so a flapping relay is probed less often")
    func flappingContinuesBackoff() {
        var machine = Machine(flapWindow: .seconds(60))
        _ = machine.relayUnavailable(reason: "dropped", at: at(0))
        machine.probeStarted()
        _ = machine.probeFailed()
        machine.probeStarted()
        _ = machine.probeSucceeded(at: at(3))
        _ = machine.relayUnavailable(reason: "dropped again", at: at(5))
        #expect(machine.nextProbeAttempt == 3, "one failed probe before, and the flap itself")
        machine.probeStarted()
        _ = machine.probeSucceeded(at: at(20))
        _ = machine.relayUnavailable(reason: "much later", at: at(81))
        #expect(machine.nextProbeAttempt == 1, "past the window the backoff starts afresh")
    }

    @Test("a new outage starts its backoff and its length afresh")
    func newOutageStartsAfresh() {
        var machine = Machine(flapWindow: .seconds(60))
        _ = machine.relayUnavailable(reason: "first", at: at(0))
        machine.probeStarted()
        _ = machine.probeFailed()
        machine.probeStarted()
        _ = machine.probeSucceeded(at: at(5))
        #expect(machine.relayUnavailable(reason: "second", at: at(100)) == .closeGate(reason: "second"))
        #expect(machine.flapWindow == .seconds(60))
        #expect(machine.nextProbeAttempt == 1)
        #expect(machine.outage(at: at(101)) == .seconds(1))
    }
}

@Suite("RelayGate")
struct RelayGateTests {
    @Test("waiting for the relay gives up when the limit passes on the injected clock")
    func waitGivesUpAtLimit() async {
        let clock = ManualClock()
        let logs = LogCapture()
        let gate = RelayGate(clock: clock, logger: logs.logger(), metrics: MailerMetrics(queue: "q"))
        gate.relayUnavailable("connect refused")
        let waiter = Task { await gate.waitUntilOpen(stop: StopSignal(), limit: .seconds(60)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(59))
        #expect(gate.outage == .seconds(59))
        clock.advance(by: .seconds(1))
        #expect(await waiter.value == false)
        #expect(!gate.isOpen)
    }

    @Test("a successful probe opens the gate, wakes waiters and logs the outage once")
    func probeOpens() async {
        let clock = ManualClock()
        let logs = LogCapture()
        let metrics = MailerMetrics(queue: "q")
        let gate = RelayGate(clock: clock, logger: logs.logger(), metrics: metrics)
        gate.relayUnavailable("535 5.7.8 refused")
        gate.relayUnavailable("535 5.7.8 refused")
        #expect(metrics.render().contains("queue_mailer_relay_up{queue=\"q\"} 0"))
        let waiter = Task { await gate.waitUntilOpen(stop: StopSignal()) }
        #expect(await gate.probe { "still refused" } == false)
        clock.advance(by: .seconds(90))
        #expect(await gate.probe { nil } == false)
        #expect(await waiter.value)
        #expect(gate.isOpen)
        #expect(logs.lines.filter { $0.contains("event=relay_lost") }.count == 1, "\(logs.lines)")
        #expect(logs.lines.contains { $0.contains("event=relay_back") && $0.contains("outage=90s") }, "\(logs.lines)")
        #expect(metrics.render().contains("queue_mailer_relay_up{queue=\"q\"} 1"))
    }
}
