/// One worker's query latencies and failures.
struct WorkerSamples: Sendable {
    var latencies: [Duration] = []
    var errors = 0
}

/// What a run measured, printed in the Java peer's format.
struct LoadResult {
    let queries: Int
    let seconds: Double
    let p50: Duration
    let p99: Duration
    let errors: Int
    /// The pool's generation at the end: 1 after a steady run, 11 after ten swaps.
    let generation: Int

    init(_ workers: [WorkerSamples], elapsed: Duration, generation: Int) {
        let sorted = workers.flatMap(\.latencies).sorted()
        queries = sorted.count
        seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        p50 = sorted.isEmpty ? .zero : sorted[sorted.count / 2]
        p99 = sorted.isEmpty ? .zero : sorted[Int(Double(sorted.count) * 0.99)]
        errors = workers.reduce(0) { $0 + $1.errors }
        self.generation = generation
    }

    /// `queries=N seconds=S qps=Q p50_us=A p99_us=B errors=E generation=G`
    var line: String {
        let qps = (Double(queries) / seconds * 10).rounded() / 10
        return "queries=\(queries) seconds=\(seconds) qps=\(qps) p50_us=\(microseconds(p50)) "
            + "p99_us=\(microseconds(p99)) errors=\(errors) generation=\(generation)"
    }

    private func microseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }
}
