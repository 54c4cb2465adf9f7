import TetherChannels

extension MailerService {
    /// Claims batches and hands them to the workers; the channel's capacity slows claiming down
    /// when sending is slower. Polls every `pollInterval` when nothing is ready; claims nothing
    /// while the relay gate is closed. Closes the request channel when it stops, so the workers finish.
    func claim(into requests: BoundedChannel<ClaimedRequest>, untilEmpty: Bool) async {
        defer { requests.close() }
        while !shutdown.isFired {
            guard await waitForRelay(untilEmpty: untilEmpty) else { return }
            guard
                let batch = await withDatabase(
                    "claim", stop: shutdown, { try await self.queue.claim(limit: self.settings.batchSize) })
            else { return }
            if batch.isEmpty {
                let written = resultsWritten.withLock { $0 }
                if untilEmpty, await queueIsEmpty() { return }
                await pause(wakingOn: untilEmpty ? written : nil)
                continue
            }
            hold(batch)
            claimedAgain()
            metrics.increment(.claimed, by: batch.count)
            progress.withLock { $0.claimed += batch.count }
            logger.debug("claimed", ["count": batch.count])
            for claimed in batch {
                await hand(claimed, to: requests)
            }
        }
    }

    /// Sends one claimed request into the channel. A request the channel hands back (closed,
    /// cancelled) is released to the queue, so no claim is ever left behind.
    private func hand(_ claimed: ClaimedRequest, to requests: BoundedChannel<ClaimedRequest>) async {
        do {
            try await requests.send(claimed)
        } catch {
            await release([claimed], reason: "shutdown before a worker took it")
        }
    }

    /// Writes the release of `claimed` directly (the result channel may be closed by now).
    func release(_ claimed: [ClaimedRequest], reason: String) async {
        guard !claimed.isEmpty else {
            return
        }
        let results = claimed.map { classifier.released($0, reason: reason) }
        _ = await withDatabase("release") { try await self.queue.write(results) }
        letGo(results)
        metrics.increment(.released, by: results.count)
        progress.withLock { $0.released += results.count }
    }

    /// With `--until-empty`: whether nothing is ready, waiting for a retry or running any more.
    private func queueIsEmpty() async -> Bool {
        guard let unfinished = await withDatabase("count", stop: shutdown, { try await self.queue.unfinishedCount() })
        else { return true }
        if unfinished > 0 { await reportScheduled() }
        return unfinished == 0
    }
}
