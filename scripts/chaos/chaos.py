#!/usr/bin/python3
"""`make chaos`: two queue-mailer instances on one PostgreSQL queue, under faults from a seed.

    scripts/chaos/run.sh QUEUE_MAILER

Runs (through run.sh) under scripts/with-test-servers.sh, which starts and always stops the
throwaway PostgreSQL on loopback (and makes the relay's certificate). This script starts the
SMTP relay (STARTTLS and AUTH required), a fault proxy in front of it and one in front of
PostgreSQL, and the two mailers; enqueues requests all along, applies the faults of the
schedule, then heals everything, lets the mailers drain the queue, checks the invariants
(invariants.py) and exits 1 if any is broken. Docs/reliability.md explains each one.

Environment: CHAOS_SECONDS (default 300) of faults, CHAOS_SEED (default random; printed),
CHAOS_DRAIN_SECONDS (default 120), CHAOS_DIR (default .build/chaos: configurations, logs
and the relay's stored mail, kept for a look after the run).
"""

import os
import secrets
import shutil
import signal
import socket
import sys
import time

import invariants
from actors import Mailer, Relay, stop_process
from cluster import Cluster
from database import SCHEMA, Database
from fault_proxy import FaultProxy
from schedule import make_schedule
from workload import Workload

DATABASE_POOL, RELAY_CONNECTIONS, CONCURRENCY = 6, 3, 3
started_at = time.monotonic()


def say(message):
    print(f"chaos [{time.monotonic() - started_at:6.1f}s] {message}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mailer_settings(database, database_port, proxy_port, relay):
    """Short timeouts and leases, so faults resolve within seconds rather than minutes."""
    return {
        "database": {"connect_string": database.connect_string(database_port), "schema": SCHEMA,
                     "pool_size": DATABASE_POOL, "login_timeout": "3s", "swap_drain_timeout": "5s",
                     "reconnect_drain_timeout": "5s"},
        "relay": {"host": "127.0.0.1", "port": proxy_port, "tls": "required", "ca_file": relay.ca_file,
                  "username": relay.USER, "connections": RELAY_CONNECTIONS,
                  "connect_timeout": "2s", "command_timeout": "3s", "end_of_data_timeout": "5s",
                  "max_messages_per_connection": 20, "swap_drain_timeout": "5s"},
        "queue": {"concurrency": CONCURRENCY, "batch_size": 4, "lease": "9s", "poll_interval": "200ms",
                  "reaper_interval": "1s", "default_max_attempts": 8, "shutdown_timeout": "5s"},
        "retry": {"base_delay": "500ms", "multiplier": 2, "maximum_delay": "4s", "jitter": 0.2},
        "database_retry": {"base_delay": "200ms", "multiplier": 2, "maximum_delay": "2s", "jitter": 0.2},
        "log": {"level": "info"},
    }


def unfinished(database):
    return int(database.sql_patiently(
        f"SELECT count(*) FROM {SCHEMA}.mail_request WHERE state IN ('ready', 'running')"))


def wait_for_empty_queue(cluster, seconds):
    """Waits until nothing is ready or running, at most `seconds`; returns whether it got there."""
    deadline, next_report = time.monotonic() + seconds, 0
    while (left := unfinished(cluster.database)) > 0:
        if time.monotonic() > deadline:
            return False
        if time.monotonic() > next_report:
            say(f"waiting for {left} requests still ready or running")
            next_report = time.monotonic() + 10
        cluster.supervise()
        time.sleep(0.5)
    return True


def inject(cluster, schedule, seconds):
    """Applies the schedule's events at their times, supervising the mailers in between."""
    begin, events = time.monotonic(), [event for event in schedule if event.at < seconds]
    while (now := time.monotonic() - begin) < seconds:
        while events and events[0].at <= now:
            cluster.apply(events.pop(0))
        cluster.supervise()
        time.sleep(0.1)


def measure(mailer, baseline, allowance, seconds=30):
    """Waits (bounded) until the mailer's descriptors and threads are within `allowance` of the
    baseline; returns the verdict with the figures."""
    deadline = time.monotonic() + seconds
    while True:
        current = mailer.resources()
        within = all(now <= base + allowance[i] for i, (now, base) in enumerate(zip(current, baseline)))
        if within or time.monotonic() > deadline:
            break
        time.sleep(1)
    figures = (f"mailer a: {current[0]} descriptors (baseline {baseline[0]}, allowed +{allowance[0]}),"
               f" {current[1]} threads (baseline {baseline[1]}, allowed +{allowance[1]})")
    problems = [] if within else [f"mailer a (pid {mailer.pid}) did not come back to its baseline"]
    return invariants.Verdict("descriptors and threads of the surviving mailer back to baseline", problems, figures)


def reconnected(cluster, seconds=30):
    """Waits (bounded) until every mailer has the database back after the last terminations."""
    deadline = time.monotonic() + seconds
    while not all(mailer.database_up() for mailer in cluster.mailers.values()):
        if time.monotonic() > deadline:
            break
        cluster.supervise()
        time.sleep(0.5)
    problems = [f"mailer {m.name} (pid {m.pid}) has not reached the database again; see {m.log_path}"
                for m in cluster.mailers.values() if not m.database_up()]
    return invariants.Verdict("each mailer logs in again with the current password", problems,
                              f"{cluster.database.rotations} rotations, then every session terminated")


def stop_mailers(cluster):
    """SIGTERM to both: each must stop within its shutdown timeout and exit 0."""
    problems = list(cluster.crashes)
    for mailer in cluster.mailers.values():
        code = stop_process(mailer.process, grace=30) if mailer.running() else mailer.process.returncode
        if code != 0:
            problems.append(f"mailer {mailer.name} (pid {mailer.pid}) exited {code} on SIGTERM")
    figures = (f"{len(cluster.crashes)} crashes, {cluster.refused_starts} start-ups refused while the database"
               f" was down, mailer b started {cluster.mailers['b'].starts} times, both stopped with 0")
    return invariants.Verdict("no mailer crashed, each stopped cleanly on SIGTERM", problems, figures)


def setup(directory, database, binary, seed):
    """The cluster with its proxies listening and the tables created; nothing else started."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(os.path.join(directory, "logs"))
    os.makedirs(os.path.join(directory, "mail"))
    database.create_role()
    relay_port, proxy_port, database_proxy_port = free_port(), free_port(), free_port()
    certificates = os.path.join(os.environ["TETHER_TEST_SERVERS"], "certs")
    relay = Relay(relay_port, os.path.join(directory, "mail"), directory, certificates)
    settings = mailer_settings(database, database_proxy_port, proxy_port, relay)
    mailers = {name: Mailer(name, binary, directory, settings, relay.password) for name in ("a", "b")}
    producer = Mailer("producer", binary, directory, settings, relay.password)
    for mailer in list(mailers.values()) + [producer]:
        mailer.set_password(database.password)
    proxies = (FaultProxy(proxy_port, relay_port, seed), FaultProxy(database_proxy_port, int(database.port), seed + 1))
    cluster = Cluster(database, mailers, producer, relay, proxies, say)
    cluster.start_proxies()
    migrated = producer.command("migrate")
    if migrated.returncode != 0:
        cluster.stop()
        raise SystemExit(f"chaos: migrate failed: {migrated.stderr.strip()}")
    return cluster


def run(binary, seconds, seed, drain, directory):
    schedule = make_schedule(seed, seconds)
    say(f"seed {seed}, {seconds:g} s of faults; repeat with CHAOS_SEED={seed} CHAOS_SECONDS={seconds:g}")
    print("chaos: schedule\n" + "\n".join(f"  {event}" for event in schedule), flush=True)
    cluster = setup(directory, Database(), binary, seed)
    mailers, database = cluster.mailers, cluster.database
    workload = Workload(cluster.producer, seed)
    verdicts = []
    try:
        cluster.start()
        workload.add(8)
        if not (workload.flush(60) and wait_for_empty_queue(cluster, 60)):
            raise SystemExit("chaos: the warm-up requests were not sent; see " + directory)
        baseline = mailers["a"].resources()
        say(f"warmed up; mailer a (pid {mailers['a'].pid}): {baseline[0]} descriptors, {baseline[1]} threads")
        workload.start()
        inject(cluster, schedule, seconds)
        say("faults over: healing and draining")
        cluster.heal()
        workload.stop()
        flushed = workload.flush(60)
        drained = wait_for_empty_queue(cluster, drain)
        say("queue drained" if drained else f"queue not drained within {drain:g} s (ready requests are legal)")
        verdicts.append(reconnected(cluster))
        allowance = (DATABASE_POOL + RELAY_CONNECTIONS, DATABASE_POOL)
        verdicts.append(measure(mailers["a"], baseline, allowance))
        snapshot = invariants.Snapshot(database, os.path.join(directory, "mail"))
        verdicts.append(stop_mailers(cluster))
        verdicts += [invariants.enqueued(snapshot, workload, flushed),
                     invariants.settled(snapshot), invariants.attempts_recorded(snapshot)]
        once, excused = invariants.delivered_once(snapshot)
        verdicts += [once, invariants.nothing_lost(snapshot, workload.kinds), invariants.no_leases(database)]
    finally:
        workload.stop()
        cluster.stop()
    report(cluster, workload, verdicts, excused, directory)
    return all(verdict.passed for verdict in verdicts)


def report(cluster, workload, verdicts, excused, directory):
    faults = ", ".join(f"{kind} {count}" for kind, count in sorted(cluster.applied.items()))
    proxy = ", ".join(f"{key} {value}" for key, value in cluster.proxy.stats.items())
    print(f"chaos: faults applied: {faults}", flush=True)
    print(f"chaos: relay proxy: {proxy}")
    cut = cluster.database_proxy.stats
    print(f"chaos: database proxy: connections {cut['connections']}, replies cut {cut['replies_cut']}")
    print(f"chaos: producer: {len(workload.kinds)} requests, {workload.failures} enqueue runs failed and were"
          f" repeated, {len(workload.refused)} refused")
    for line in excused:
        print(f"chaos: excused duplicate: {line}")
    print("chaos: invariants")
    for verdict in verdicts:
        print("\n".join(verdict.lines()))
    passed = all(verdict.passed for verdict in verdicts)
    print(f"chaos: {'PASSED' if passed else 'FAILED'} in {time.monotonic() - started_at:.0f} s;"
          f" logs, configurations and stored mail in {directory}", flush=True)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: chaos.py QUEUE_MAILER")
    seconds = float(os.environ.get("CHAOS_SECONDS") or 300)
    seed = int(os.environ.get("CHAOS_SEED") or secrets.randbelow(1_000_000))
    drain = float(os.environ.get("CHAOS_DRAIN_SECONDS") or 120)
    directory = os.path.abspath(os.environ.get("CHAOS_DIR") or ".build/chaos")
    # SIGTERM unwinds like Ctrl-C, so the `finally` above stops every process this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(0 if run(os.path.abspath(sys.argv[1]), seconds, seed, drain, directory) else 1)


if __name__ == "__main__":
    main()
