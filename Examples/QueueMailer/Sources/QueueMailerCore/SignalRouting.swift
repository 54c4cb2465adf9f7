import TetherLocking

/// Where SIGTERM, SIGINT and SIGHUP go while `run` starts and then serves.
///
/// The handlers are installed before the start-up checks the database, which can take a login
/// timeout: a stop then cancels the start-up (the program logs `stopped` and exits 0 instead
/// of dying by the signal), and a reload waits for the service, which runs it as soon as it
/// serves. Once the service serves, both go to it; a stop that came in between reaches it first.
final class SignalRouting: Sendable {
    private struct Service {
        let stop: @Sendable () -> Void
        let reload: @Sendable () async -> Void
    }

    private struct State {
        var stopRequested = false
        var reloadPending = false
        var startup: Task<Void, any Error>?
        var service: Service?
    }

    private let state = Locked(State())

    /// Whether SIGTERM or SIGINT came.
    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// SIGTERM or SIGINT: stops the service, or cancels the start-up.
    func stop() {
        let (service, startup) = state.withLock { state in
            state.stopRequested = true
            return (state.service, state.startup)
        }
        if let service {
            service.stop()
        } else {
            startup?.cancel()
        }
    }

    /// SIGHUP: reloads the service, or once it serves.
    func reload() async {
        let reload = state.withLock { state -> (@Sendable () async -> Void)? in
            guard let service = state.service else {
                state.reloadPending = true
                return nil
            }
            return service.reload
        }
        await reload?()
    }

    /// Runs `work` as the start-up, which a stop cancels, as does cancelling the caller.
    func startUp(_ work: @escaping @Sendable () async throws -> Void) async throws {
        let startup = Task { try await work() }
        let stopped = state.withLock { state in
            state.startup = startup
            return state.stopRequested
        }
        if stopped { startup.cancel() }
        try await withTaskCancellationHandler {
            try await startup.value
        } onCancel: {
            startup.cancel()
        }
    }

    /// The service serves from now: signals go to `stop` and `reload`; a stop or a reload
    /// that came during the start-up is passed on now.
    func serving(stop: @escaping @Sendable () -> Void, reload: @escaping @Sendable () async -> Void) {
        let (stopNow, reloadNow) = state.withLock { state in
            state.service = Service(stop: stop, reload: reload)
            state.startup = nil
            defer { state.reloadPending = false }
            return (state.stopRequested, state.reloadPending)
        }
        if stopNow { stop() }
        if reloadNow { Task { await reload() } }
    }
}
