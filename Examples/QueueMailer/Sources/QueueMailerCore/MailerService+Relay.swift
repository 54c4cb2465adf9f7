/// How the service behaves while the relay is unavailable.
public struct RelayGateSettings: Sendable {
    /// With `run --until-empty`: how long to wait for the relay before stopping with the
    /// requests still ready. The service mode waits forever. Defaults to 5 minutes.
    public var outageLimit: Duration = .seconds(300)
    /// The wait before probe n (1-based) of an outage. Defaults to 1 second doubling to 30
    /// seconds, without jitter (the runner passes the configured, jittered policy).
    public var probeBackoff: @Sendable (_ attempt: Int) -> Duration = { attempt in
        min(.seconds(1) * (1 << min(max(attempt - 1, 0), 5)), .seconds(30))
    }

    public init() {}
}

extension MailerService {
    /// While the gate is closed: waits `probeBackoff(n)`, then opens one probe connection,
    /// until one succeeds (the gate opens) or the workers are done. A SIGHUP cuts the wait short.
    func probeRelay(until workersDone: StopSignal) async {
        while await relayGate.waitUntilClosed(stop: workersDone) {
            var atOnce = false
            while let (attempt, kick) = relayGate.nextProbe() {
                if !atOnce {
                    await RelayGate.wait(for: kick, or: workersDone, limit: relay.probeBackoff(attempt), clock: clock)
                }
                if workersDone.isFired { return }
                atOnce = await relayGate.probe { await self.probe(until: workersDone) }
            }
        }
    }

    /// One probe, cancelled when the workers are done so a shutdown does not wait for it.
    private func probe(until workersDone: StopSignal) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await self.transport.probe() }
            group.addTask {
                await workersDone.wait()
                return "stopped: the service is shutting down"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Before a claim: returns at once while the gate is open, else waits for it to open.
    ///
    /// - Returns: `false` when claiming must stop: shutdown, or (with `untilEmpty`) the relay
    ///   stayed unavailable past ``RelayGateSettings/outageLimit``.
    func waitForRelay(untilEmpty: Bool) async -> Bool {
        guard !relayGate.isOpen else { return true }
        guard untilEmpty else { return await relayGate.waitUntilOpen(stop: shutdown) }
        let waited = relayGate.outage ?? .zero
        if await relayGate.waitUntilOpen(stop: shutdown, limit: max(relay.outageLimit - waited, .zero)) {
            return true
        }
        guard !shutdown.isFired else { return false }
        progress.withLock { $0.relayOutageLimitReached = true }
        logger.error(
            "relay_outage_limit",
            [
                "limit": DurationText.format(relay.outageLimit), "reason": relayGate.reason ?? "-",
                "leaving": "requests ready",
            ])
        return false
    }
}
