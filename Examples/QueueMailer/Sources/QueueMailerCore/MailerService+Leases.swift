extension MailerService {
    /// Extends this instance's leases every third of the lease until the workers are done, so a
    /// long send never loses its claim while the instance is alive.
    func keepLeases(until workersDone: StopSignal) async {
        let interval = settings.lease / 3
        while await !workersDone.sleep(for: interval, clock: clock) {
            _ = await withDatabase("heartbeat", stop: workersDone) { try await self.queue.heartbeat() }
        }
    }

    /// Requeues expired leases (other instances that died) every `reaperInterval`, starting at once.
    func reap(until claimingDone: StopSignal) async {
        repeat {
            let reaped = await withDatabase("reap", stop: claimingDone) { try await self.queue.reapExpired() } ?? 0
            if reaped > 0 {
                metrics.increment(.reaped, by: reaped)
                logger.warning("leases_reaped", ["count": reaped])
            }
        } while await !claimingDone.sleep(for: settings.reaperInterval, clock: clock)
    }
}
