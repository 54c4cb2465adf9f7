import TetherChannels

extension MailerService {
    /// Writes results in batches until the result channel is closed and drained. While the
    /// database is unreachable it retries forever; outcomes wait in the channel (whose capacity
    /// then holds the workers back) and none is dropped.
    func writeResults(from results: BoundedChannel<AttemptResult>) async {
        while true {
            let batch: [AttemptResult]
            do {
                batch = try await results.receive(upTo: settings.resultBatchSize)
            } catch {
                continue
            }
            if batch.isEmpty { return }
            let applied = await withDatabase("write") { try await self.queue.write(batch) } ?? 0
            letGo(batch)
            if applied < batch.count {
                logger.warning("results_fenced", ["written": batch.count, "state_changes": applied])
            }
            count(batch)
        }
    }

    /// Counts written results into the metrics, the run's counts and the log.
    func count(_ batch: [AttemptResult]) {
        for result in batch {
            switch result.outcome {
            case .sent: metrics.increment(.sent)
            case .failed: metrics.increment(.failed)
            case .unknown: metrics.increment(.unknown)
            case .retry where result.released: break
            case .retry: metrics.increment(.retried)
            }
            logAttempt(result)
        }
        progress.withLock { counts in
            for result in batch {
                switch result.outcome {
                case .sent: counts.sent += 1
                case .failed: counts.failed += 1
                case .unknown: counts.unknown += 1
                case .retry where result.released: counts.released += 1
                case .retry where result.nextState == "failed": counts.failed += 1
                case .retry: counts.retried += 1
                }
            }
        }
    }

    private func logAttempt(_ result: AttemptResult) {
        let level: LogLevel = result.outcome == .sent || result.released ? .info : .warning
        logger.log(
            level, "attempt",
            [
                "id": result.requestID, "attempt": result.attempt, "outcome": result.outcome.rawValue,
                "state": result.nextState, "code": result.smtpCode.map(String.init) ?? "-",
                "retry_in": result.outcome == .retry ? DurationText.format(result.retryAfter) : "-",
                "detail": result.detail,
            ])
    }
}
