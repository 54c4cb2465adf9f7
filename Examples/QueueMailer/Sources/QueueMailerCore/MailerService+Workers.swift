import TetherChannels

extension MailerService {
    /// Runs `concurrency` workers until the request channel is closed and drained.
    func work(from requests: BoundedChannel<ClaimedRequest>, into results: BoundedChannel<AttemptResult>) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<settings.concurrency {
                group.addTask {
                    while let claimed = try? await requests.receive() {
                        let result = await self.process(claimed)
                        await self.deliver(result, to: results)
                    }
                }
            }
        }
    }

    /// One attempt: check the row, check no earlier attempt was sent, send, classify.
    func process(_ claimed: ClaimedRequest) async -> AttemptResult {
        if shutdown.isFired {
            return classifier.released(claimed, reason: "shutdown before sending started")
        }
        let request: SendRequest
        switch claimed.request {
        case .success(let decoded): request = decoded
        case .failure(let error):
            logger.warning("bad_request", ["id": claimed.id, "attempt": claimed.attempt, "error": error.description])
            return classifier.badData(claimed, error)
        }
        do {
            if let earlier = try await queue.sentAttempt(of: claimed) {
                return classifier.alreadySent(claimed, byAttempt: earlier)
            }
        } catch {
            let cause = error is CancellationError ? "cancelled by shutdown" : "\(error)"
            return classifier.released(claimed, reason: "could not read earlier results: \(cause)")
        }
        if let reason = relayGate.reason {
            return classifier.deferred(claimed, reason: "held while the gate is closed (\(reason))")
        }
        let report = await sendUnlessStopped(request, messageID: claimed.messageID)
        if let latency = report.latency { metrics.observeSendLatency(latency) }
        if report.verdict == .relayUnavailable {
            relayGate.relayUnavailable(report.detail)
            return classifier.result(for: claimed, report: report)
        }
        return classifier.result(for: claimed, report: report)
    }

    /// Sends, cancelling the send when `stopSending` fires (the shutdown timeout or a second signal).
    private func sendUnlessStopped(_ request: SendRequest, messageID: String) async -> DeliveryReport {
        let send = Task { await transport.deliver(request, messageID: messageID) }
        let watcher = Task {
            await stopSending.wait()
            if !Task.isCancelled { send.cancel() }
        }
        let report = await send.value
        watcher.cancel()
        return report
    }

    /// Puts a result into the result channel; never lost: if the channel will not take it, the
    /// result is written directly.
    private func deliver(_ result: AttemptResult, to results: BoundedChannel<AttemptResult>) async {
        do {
            try await results.send(result)
        } catch {
            _ = await withDatabase("write") { try await self.queue.write([result]) }
            letGo([result])
            count([result])
        }
    }
}
