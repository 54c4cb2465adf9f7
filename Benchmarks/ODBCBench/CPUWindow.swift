import CBenchTurns
@preconcurrency import Glibc
import Synchronization

/// The process's CPU time (user and system, every thread) while the workers count, per
/// counted query: the library's cost per query, which the host's noise moves far less than the
/// queries per second. The window opens when the first worker starts counting and closes when
/// the last one stops, the same way the C peer measures it.
final class CPUWindow: Sendable {
    private struct State {
        var counting = 0
        var finished = 0
        var queries = 0
        var opened = 0.0
        var closed = 0.0
    }

    private let workers: Int
    private let state = Mutex(State())
    /// With turns, the watcher measures the CPU time of the counted turns.
    private nonisolated(unsafe) let turns: OpaquePointer?

    init(workers: Int, turns: OpaquePointer?) {
        self.workers = workers
        self.turns = turns
    }

    func workerStarted() {
        state.withLock { state in
            if state.counting == 0 {
                state.opened = Self.processCPUSeconds()
            }
            state.counting += 1
        }
    }

    func workerFinished(queries: Int) {
        state.withLock { state in
            state.queries += queries
            state.finished += 1
            if state.finished == workers {
                state.closed = Self.processCPUSeconds()
            }
        }
    }

    /// Microseconds of CPU per counted query; 0 before every worker finished.
    var microsecondsPerQuery: Double {
        state.withLock { state in
            guard state.finished == workers, state.queries > 0 else {
                return 0
            }
            let seconds = turns.map { bench_turns_counted_cpu($0) } ?? state.closed - state.opened
            return seconds / Double(state.queries) * 1e6
        }
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
