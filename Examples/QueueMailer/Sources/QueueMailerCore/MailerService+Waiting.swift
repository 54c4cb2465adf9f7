extension MailerService {
    /// What the run is waiting for, for the progress line: requests scheduled for later, or
    /// the relay. `nil` while it is working.
    public var waitingNote: String? {
        if let reason = relayGate.reason { return "relay unavailable, claiming paused (\(reason.prefix(60)))" }
        return waiting.withLock { $0.note }
    }

    /// With `--until-empty` and nothing to claim: says how many requests are scheduled for later
    /// and when the first is due (logged when the count changes), so a run that waits says why.
    func reportScheduled() async {
        guard let later = await withDatabase("count", stop: shutdown, { try await self.queue.scheduledLater() })
        else { return }
        guard later.count > 0, let next = later.nextIn else {
            waiting.withLock { $0 = WaitingState() }
            return
        }
        let nextIn = DurationText.format(.seconds(DurationText.milliseconds(of: next) / 1000))
        let changed = waiting.withLock { state in
            defer {
                state = WaitingState(
                    count: later.count, note: "waiting for \(later.count) scheduled, next in \(nextIn)")
            }
            return state.count != later.count
        }
        if changed { logger.info("waiting_for_scheduled", ["count": later.count, "next_in": nextIn]) }
    }

    /// Clears the note once requests are claimed again.
    func claimedAgain() {
        waiting.withLock { $0 = WaitingState() }
    }
}

/// The requests `--until-empty` is waiting for, as last reported.
struct WaitingState: Sendable {
    var count = 0
    var note: String?
}
