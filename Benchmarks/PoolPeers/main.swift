// The Tether side of `make bench-pool-peers` (driven by Benchmarks/Peers/bench_pool_peers.py):
// the same `SELECT 1` load as Benchmarks/Peers/HikariSelectOne.java, through a TetherPool of
// TetherODBC connections, one `withConnection` and one session per query.
//
//   PoolPeersBenchmark CONNECT_STRING WORKERS SECONDS [swap ALT_CONNECT_STRING]
//
// With `swap`, the pool swaps between the two connect strings ten times during the run, as
// the Java peer switches credentials. Prints one line, as the Java peer does:
// queries=N seconds=S qps=Q p50_us=A p99_us=B errors=E, and generation=G (11 after ten swaps).

@preconcurrency import Glibc
import TetherODBC

setvbuf(stdout, nil, _IOLBF, 0)

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3 || (arguments.count == 5 && arguments[3] == "swap"),
    let workers = Int(arguments[1]), (1...256).contains(workers),
    let seconds = Double(arguments[2]), seconds > 0
else {
    fputs("usage: PoolPeersBenchmark CONNECT_STRING WORKERS(1...256) SECONDS [swap ALT_CONNECT_STRING]\n", stderr)
    exit(2)
}
let load = SelectOneLoad(
    target: try ODBCConnectString(parsing: arguments[0]),
    alternate: arguments.count == 5 ? try ODBCConnectString(parsing: arguments[4]) : nil,
    workers: workers, duration: .milliseconds(Int(seconds * 1000)))
print(try await load.run().line)
