#!/usr/bin/python3
"""`make bench-pool-peers`: the same SELECT 1 load through our pool, HikariCP and pgbench.

Run under scripts/with-test-servers.sh (it reads the TETHER_PG_* variables). For 1, 8 and 32
workers it alternates, each run SECONDS long against the same PostgreSQL:

- ours: PoolPeersBenchmark, a TetherPool of TetherODBC connections, `withConnection` per query;
- hikaricp: Benchmarks/Peers/HikariSelectOne.java, HikariCP with the PostgreSQL JDBC driver;
- pgbench: `pgbench -M prepared` running a script of `SELECT 1;` (the ceiling);
- raw-odbc (one worker only): Benchmarks/ODBCPeer/raw_odbc_peer.c, unixODBC called from C, the
  driver's own limit.

Then a hot swap: ten swaps between the roles tether and tether_alt during one run, ours with
`swap(to:)`, HikariCP with a credential change and a soft evict; throughput and p99 latency.

    bench_pool_peers.py OURS RAW_ODBC_PEER JAVA_CLASSES

Environment: BENCH_POOL_SECONDS (default 4), BENCH_POOL_WORKERS (default "1 8 32"),
BENCH_PAIRS, BENCH_WARMUP.
"""

import os
import re
import subprocess
import sys
import tempfile

import benchlib

SECONDS = int(os.environ.get("BENCH_POOL_SECONDS", "4"))
WORKER_COUNTS = [int(n) for n in os.environ.get("BENCH_POOL_WORKERS", "1 8 32").split()]
JARS = ["HikariCP.jar", "postgresql.jar", "slf4j-api.jar", "slf4j-nop.jar"]


class Database:
    """The throwaway PostgreSQL of scripts/with-test-servers.sh."""

    def __init__(self):
        try:
            self.host = os.environ["TETHER_PG_HOST"]
            self.port = os.environ["TETHER_PG_PORT"]
            self.user = os.environ["TETHER_PG_USER"]
            self.alt_user = os.environ["TETHER_PG_ALT_USER"]
            self.password = os.environ["TETHER_PG_PASSWORD"]
            self.database = os.environ["TETHER_PG_DATABASE"]
            self.dsn = os.environ["TETHER_PG_DSN"]
        except KeyError as missing:
            benchlib.fail(f"{missing} is not set: run under scripts/with-test-servers.sh")
        if self.host not in ("127.0.0.1", "::1", "localhost"):
            benchlib.fail(f"TETHER_PG_HOST must be loopback, got {self.host}")
        self.alt_dsn = re.sub(r"(?i)uid=[^;]*", f"Uid={self.alt_user}", self.dsn)
        self.jdbc_url = f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"


class Contenders:
    """How to run each contender once; every run returns a dict with at least `qps`."""

    def __init__(self, ours, raw_peer, classes, database, script):
        self.ours, self.raw_peer, self.database, self.script = ours, raw_peer, database, script
        classpath = [classes] + [os.path.join("/usr/share/java", jar) for jar in JARS]
        self.java = ["java", "-cp", ":".join(classpath), "HikariSelectOne"]

    def run_ours(self, workers, swap=False):
        extra = ["swap", self.database.alt_dsn] if swap else []
        figures = benchlib.run_fields([self.ours, self.database.dsn, str(workers), str(SECONDS)] + extra)
        if figures["generation"] != (11 if swap else 1):
            raise RuntimeError(f"the pool ended in generation {figures['generation']:.0f}")
        return figures

    def run_hikari(self, workers, swap=False):
        db = self.database
        extra = ["swap", db.alt_user] if swap else []
        return benchlib.run_fields(
            self.java + [db.jdbc_url, db.user, db.password, str(workers), str(SECONDS)] + extra)

    def run_pgbench(self, workers):
        db = self.database
        command = ["pgbench", "-n", "-f", self.script, "-M", "prepared", "-c", str(workers), "-j", str(workers),
                   "-T", str(SECONDS), "-h", db.host, "-p", db.port, "-U", db.user, db.database]
        env = dict(os.environ, PGPASSWORD=db.password)
        completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", completed.stdout)
        if completed.returncode != 0 or not match:
            raise RuntimeError(f"pgbench failed: {completed.stderr.strip()[-1000:]}")
        return {"qps": float(match.group(1))}

    def run_raw_odbc(self, workers):
        completed = subprocess.run([self.raw_peer, self.database.dsn, str(workers), str(SECONDS)],
                                   capture_output=True, text=True, timeout=120, check=True)
        # Its first line is the rate; the second, the CPU time per query.
        return {"qps": float(completed.stdout.split()[0])}


def steady(contenders, workers):
    """Alternates ours with every peer at `workers` workers; one line per peer."""
    runs = {
        "ours": lambda: contenders.run_ours(workers),
        "hikaricp": lambda: contenders.run_hikari(workers),
        "pgbench": lambda: contenders.run_pgbench(workers),
    }
    if workers == 1:
        runs["raw-odbc"] = lambda: contenders.run_raw_odbc(workers)
    measured = benchlib.alternate(runs)
    ours = benchlib.column(measured["ours"], "qps")
    errors = int(sum(benchlib.column(measured["ours"], "errors")))
    for peer in [name for name in runs if name != "ours"]:
        benchlib.report("pool-peers", f"select1-{workers}-workers", "qps", ours, peer,
                        benchlib.column(measured[peer], "qps"), workers=workers, our_errors=errors)


def hot_swap(contenders, workers):
    """Ten swaps during each run, ours beside HikariCP: throughput and p99 latency."""
    measured = benchlib.alternate({
        "ours": lambda: contenders.run_ours(workers, swap=True),
        "hikaricp": lambda: contenders.run_hikari(workers, swap=True),
    })
    ours, peer = measured["ours"], measured["hikaricp"]
    errors = {"our_errors": int(sum(benchlib.column(ours, "errors"))),
              "peer_errors": int(sum(benchlib.column(peer, "errors")))}
    benchlib.report("pool-peers", f"swap-10x-{workers}-workers", "qps", benchlib.column(ours, "qps"), "hikaricp",
                    benchlib.column(peer, "qps"), workers=workers, **errors)
    benchlib.report("pool-peers", f"swap-10x-{workers}-workers-p99", "us", benchlib.column(ours, "p99_us"),
                    "hikaricp", benchlib.column(peer, "p99_us"), lower_is_better=True, workers=workers, **errors)


def main():
    if len(sys.argv) != 4:
        benchlib.fail("usage: bench_pool_peers.py OURS RAW_ODBC_PEER JAVA_CLASSES")
    database = Database()
    with tempfile.TemporaryDirectory(prefix="tether-pool-peers-") as directory:
        script = os.path.join(directory, "select1.sql")
        with open(script, "w") as file:
            file.write("SELECT 1;\n")
        contenders = Contenders(sys.argv[1], sys.argv[2], sys.argv[3], database, script)
        for workers in WORKER_COUNTS:
            steady(contenders, workers)
        hot_swap(contenders, 8)


if __name__ == "__main__":
    main()
