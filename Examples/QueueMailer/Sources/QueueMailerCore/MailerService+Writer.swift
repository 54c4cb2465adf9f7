import TetherChannels
import TetherODBC

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
            let applied = await withDatabase("write") { try await self.writeSettingAsideRefused(batch) } ?? 0
            letGo(batch)
            if applied < batch.count {
                logger.warning("results_fenced", ["written": batch.count, "state_changes": applied])
            }
            count(batch)
            resultsWritten.withLock { signal in
                defer { signal = StopSignal() }
                return signal
            }.fire()
        }
    }

    /// Writes `batch`. When the database refuses the batch's data rather than failing to be
    /// reached (a result for a request deleted meanwhile breaks the foreign key), the results
    /// are written one at a time and those it still refuses are set aside: logged as errors
    /// with their ids and counted, so that one result cannot hold up every later one forever.
    /// Writes are upserts, so a result written here and again after a retry is stored once.
    private func writeSettingAsideRefused(_ batch: [AttemptResult]) async throws -> Int {
        do {
            return try await queue.write(batch)
        } catch  where Self.isRefusedData(error) {
            var applied = 0
            for result in batch {
                do {
                    applied += try await queue.write([result])
                } catch  where Self.isRefusedData(error) {
                    metrics.increment(.unwritable, by: 1)
                    logger.error(
                        "result_unwritable",
                        [
                            "id": result.requestID, "attempt": result.attempt, "outcome": result.outcome.rawValue,
                            "error": "\(error)",
                        ])
                }
            }
            return applied
        }
    }

    /// Whether the database refused the data itself (SQLSTATE class 22 or 23), which no retry changes.
    static func isRefusedData(_ error: any Error) -> Bool {
        guard let state = (error as? ODBCError)?.sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// Sleeps `pollInterval` between empty claims, ending early at shutdown, or when `written`
    /// fires: with `--until-empty` the claimer looks again as soon as the requests still running
    /// may have finished, not a whole poll interval after the last result.
    func pause(wakingOn written: StopSignal?) async {
        guard let written else {
            await shutdown.sleep(for: settings.pollInterval, clock: clock)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.shutdown.sleep(for: self.settings.pollInterval, clock: self.clock) }
            group.addTask { await written.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Counts written results into the metrics, the run's counts and the log, each result
    /// under one counter (``counter(for:)``), so the summary and the metrics file agree.
    func count(_ batch: [AttemptResult]) {
        var counters: [MailerMetrics.Counter: Int] = [:]
        for result in batch {
            counters[Self.counter(for: result), default: 0] += 1
            logAttempt(result)
        }
        for (counter, amount) in counters { metrics.increment(counter, by: amount) }
        progress.withLock { counts in
            for (counter, amount) in counters { counts.add(amount, to: counter) }
        }
    }

    /// The one counter a written result grows, read from what the row and the request record.
    static func counter(for result: AttemptResult) -> MailerMetrics.Counter {
        switch result.outcome {
        case .sent: .sent
        case .failed: .failed
        case .unknown: .unknown
        case .retry where result.deferred: .deferred
        case .retry where result.released: .released
        case .retry where result.nextState == "failed": .failed
        case .retry: .retried
        }
    }

    private func logAttempt(_ result: AttemptResult) {
        let level: LogLevel = result.outcome == .sent || result.released ? .info : .warning
        // The fields are built only for a line that is written: this runs once per attempt.
        guard level >= logger.level else { return }
        logger.log(
            level, "attempt",
            [
                "id": result.requestID, "attempt": result.attempt, "outcome": result.outcome.rawValue,
                "state": result.nextState, "code": result.smtpCode.map(String.init) ?? "-",
                "retry_in": result.outcome == .retry && !result.released ? DurationText.format(result.retryAfter) : "-",
                "detail": result.detail,
            ])
    }
}

extension MailerService.RunCounts {
    /// Adds `amount` to the figure `counter` names; counters the summary does not show are ignored.
    mutating func add(_ amount: Int, to counter: MailerMetrics.Counter) {
        switch counter {
        case .claimed: claimed += amount
        case .sent: sent += amount
        case .retried: retried += amount
        case .failed: failed += amount
        case .unknown: unknown += amount
        case .released: released += amount
        case .deferred: deferred += amount
        case .reaped, .databaseErrors, .unwritable: break
        }
    }
}
