// The Tether side of `make bench-odbc`: the same loop as Benchmarks/ODBCPeer/raw_odbc_peer.c
// (prepared `SELECT 1`, executed, fetched and read), through TetherODBC.
//
//   ODBCBench [--direct] [--cooperative] [--per-session N] [--warmup S] CONNECT_STRING WORKERS SECONDS
//   ODBCBench --turns FILE [--direct] [--per-session N] CONNECT_STRING WORKERS
//
// By default each worker task borrows a connection from a `ConnectionPool` of WORKERS
// connections for every query (`withConnection`, then one `withSession`). `--direct` gives
// each worker an `ODBCConnection` of its own instead, without the pool. `--per-session N`
// runs N queries per session, which separates the cost of the hop to the connection's thread
// from the cost of the ODBC calls. Worker tasks prefer `ConnectionThreadExecutor`, as we
// advise for database workers; `--cooperative` leaves them on Swift's cooperative pool, where
// every session ends with a wake-up of a pool thread. `--warmup S` runs each worker's loop S
// seconds before it starts counting, as the C peer's WARMUP_SECONDS does. `--turns FILE` runs
// the workers in the turns for side 's' that a coordinator writes to FILE, as the C peer's
// `--turns` does for side 'c' (Benchmarks/BenchTurns/include/bench_turns.h). Prints two lines:
// queries per second of all workers together, each worker's count over its own loop time, summed;
// then `cpu_us_per_query=X`, the process's CPU time while the workers counted, per query.

import CBenchTurns
@preconcurrency import Glibc
import TetherODBC

setvbuf(stdout, nil, _IOLBF, 0)

var options = Bench.Options()
var positional: [String] = []
var rest = CommandLine.arguments.dropFirst()
while let argument = rest.popFirst() {
    switch argument {
    case "--direct": options.direct = true
    case "--cooperative": options.onConnectionThreads = false
    case "--per-session": options.perSession = rest.popFirst().flatMap { Int($0) } ?? 0
    case "--warmup": options.warmup = rest.popFirst().flatMap { Double($0) } ?? -1
    case "--turns":
        guard let path = rest.popFirst(), let turns = bench_turns_open(path, CChar(UInt8(ascii: "s"))) else {
            exit(2)
        }
        options.turns = turns
    default: positional.append(argument)
    }
}
// With turns there is no SECONDS; the workers block their threads while waiting for a turn,
// which only connection threads of their own can afford.
let counts = options.turns == nil ? 3 : 2
guard positional.count == counts, let workers = Int(positional[1]), (1...256).contains(workers),
    let seconds = counts == 3 ? Double(positional[2]) : 1, seconds > 0, options.perSession > 0,
    options.warmup >= 0, options.turns == nil || options.onConnectionThreads
else {
    fputs(
        "usage: ODBCBench [--direct] [--cooperative] [--per-session N] [--warmup S]"
            + " CONNECT_STRING WORKERS(1...256) SECONDS\n"
            + "       ODBCBench --turns FILE [--direct] [--per-session N] CONNECT_STRING WORKERS(1...256)\n",
        stderr)
    exit(2)
}
options.connectString = try ODBCConnectString(parsing: positional[0])
options.workers = workers
options.seconds = seconds

let result = try await Bench.run(options)
print(Int(result.rate.rounded()))
print("cpu_us_per_query=\((result.cpuPerQuery * 100).rounded() / 100)")
