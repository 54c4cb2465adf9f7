extension MailerService {
    /// Extends the leases of the requests this instance holds every third of the lease until the
    /// workers are done, so a long send never loses its claim while the instance is alive.
    ///
    /// Only requests the claimer handed on are renewed, never every row under this owner's name:
    /// a claim that committed but whose reply was lost (the connection broke) is unknown here,
    /// and renewing it would keep it running for as long as this instance lives.
    func keepLeases(until workersDone: StopSignal) async {
        let interval = settings.lease / 3
        while await !workersDone.sleep(for: interval, clock: clock) {
            let ids = held.withLock { Array($0) }
            // With nothing held the heartbeat has no statement to run: called anyway, it would
            // count as a database round trip and report a database that is down as back.
            guard !ids.isEmpty else {
                continue
            }
            // Retried at least every sixth of the lease while the database is down, so that
            // the leases are renewed soon after it is back, before they run out.
            _ = await withDatabase("heartbeat", stop: workersDone, longestWait: settings.lease / 6) {
                try await self.queue.heartbeat(holding: ids)
            }
        }
    }

    /// Marks `claimed` as held, so the heartbeat renews their leases.
    func hold(_ claimed: [ClaimedRequest]) {
        held.withLock { $0.formUnion(claimed.map(\.id)) }
    }

    /// Forgets the claims whose results are written: their leases are gone.
    func letGo(_ results: [AttemptResult]) {
        held.withLock { $0.subtract(results.map(\.requestID)) }
    }

    /// Requeues expired leases (other instances that died) every `reaperInterval`, starting at once.
    ///
    /// Not while the database is down, nor for one lease after it came back: live instances
    /// could not renew their leases meanwhile, and the requests they sent would be sent again.
    func reap(until claimingDone: StopSignal) async {
        repeat {
            guard mayReap() else {
                let reason = health.up ? "the database came back less than a lease ago" : "the database is down"
                logger.debug("reap_deferred", ["reason": reason])
                continue
            }
            // One try per round: a retry could come right after an outage ends, before the
            // live instances renewed their leases; the next round checks again first.
            let reaped =
                await withDatabaseOnce("reap", nextTry: settings.reaperInterval) { try await self.queue.reapExpired() }
                ?? 0
            if reaped > 0 {
                metrics.increment(.reaped, by: reaped)
                logger.warning("leases_reaped", ["count": reaped])
            }
        } while await !claimingDone.sleep(for: settings.reaperInterval, clock: clock)
    }

    private func mayReap() -> Bool {
        guard health.up else {
            return false
        }
        guard let recovered = recoveredAt.withLock({ $0 }) else {
            return true
        }
        return recovered.duration(to: clock.now) >= settings.lease
    }
}
