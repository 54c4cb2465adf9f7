@preconcurrency import Glibc
// The Tether side of `make bench-odbc`: the same loop as Benchmarks/ODBCPeer/raw_odbc_peer.c
// (prepared `SELECT 1`, executed, fetched and read), through TetherODBC.
//
//   ODBCBench CONNECT_STRING WORKERS SECONDS [QUERIES_PER_SESSION]
//
// QUERIES_PER_SESSION (default 1) runs that many queries per hop to the connection's thread,
// which separates the cost of the hop from the cost of the ODBC calls.
// Prints one line: queries per second of all workers together, each worker's count over its
// own loop time, summed.
import TetherODBC

setvbuf(stdout, nil, _IOLBF, 0)

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let workers = Int(arguments[2]), (1...256).contains(workers),
    let seconds = Double(arguments[3]), seconds > 0,
    let perSession = arguments.count == 5 ? Int(arguments[4]) : 1, perSession > 0
else {
    fputs("usage: ODBCBench CONNECT_STRING WORKERS(1...256) SECONDS [QUERIES_PER_SESSION]\n", stderr)
    exit(2)
}

let rate = try await Bench.run(
    connectString: arguments[1], workers: workers, seconds: seconds, perSession: perSession)
print(Int(rate.rounded()))
