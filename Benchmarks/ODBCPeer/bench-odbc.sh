#!/usr/bin/env bash
# `make bench-odbc`: prepared `SELECT 1` against the throwaway PostgreSQL, through a TetherPool
# of TetherODBC connections (ODBCBench, one `withConnection` per query) and through unixODBC
# from C (raw_odbc_peer, one connection per thread, no pool), at 1 and 8 workers.
# Both run at the same time, in two processes, and take turns (Benchmarks/BenchTurns): this
# script writes whose turn it is to a shared file, TURN_SECONDS (default 1) at a time, for
# PAIRS (default 8) turns each, the C loop first in odd pairs and ours first in even ones. This
# host's speed drifts by up to two times within a minute; side by side in time, both see the
# same host. Each side counts only in its own turns, over the time its workers ran in them.
# Before counting, each side gets a warm-up turn of WARMUP_SECONDS (default 1): with eight
# client threads and eight backends on two cores, the kernel takes about a second to settle
# each client thread on its backend's core, and the steady state is what a long-running
# service sees. Such a run is repeated ROUNDS times (default 5); each round gives a ratio, ours
# over the C loop's rate, and one JSON line per worker count reports their median, each round's
# ratio, and the median rate of each side.
# Each side also prints its process's CPU time per counted query (user and system, every thread,
# during its counted turns); the JSON line carries the median of each as ours_cpu_us and
# peer_cpu_us.
# Last, the same pair at one worker against SQLite (sqliteodbc, a file in a temporary
# directory): no network and no server, so what is left is the libraries' own cost per query.
# Run it under scripts/with-test-servers.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-5}"
pairs="${PAIRS:-8}"
turn_seconds="${TURN_SECONDS:-1}"
warmup="${WARMUP_SECONDS:-1}"
: "${TETHER_PG_DSN:?run under scripts/with-test-servers.sh}"

peer="$root/.build/raw_odbc_peer"
turns="$root/Benchmarks/BenchTurns"
cc -O2 -Wall -I "$turns/include" -o "$peer" "$here/raw_odbc_peer.c" "$turns/bench_turns.c" -lodbc -lpthread
swift build -c release --product ODBCBench --package-path "$root" >/dev/null
ours="$(swift build -c release --show-bin-path --package-path "$root")/ODBCBench"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
line='{"suite":"pool","case":"%s","unit":"qps","ours":%s,"peer":"raw-odbc","peer_value":%s,"ratio":%s'
line+=',"round_ratios":[%s],"ours_cpu_us":%s,"peer_cpu_us":%s}\n'
# Each round's ratio, ours over the C loop in the same round, one per line. The reported ratio
# is their median: the two sides of one round saw the same host, the medians of each side's
# rates over all rounds did not.
round_ratios() {
    paste -d' ' <(printf '%s\n' "${our_runs[@]}") <(printf '%s\n' "${peer_runs[@]}") |
        awk '{ printf "%.2f\n", $1 / $2 }'
}

# One side's figures, from its output in file $3: its rate goes to the array named $1, its CPU
# time per query to the one named $2.
record() {
    local -n rates="$1" cpus="$2"
    rates+=("$(sed -n 1p "$3")")
    cpus+=("$(sed -n 's/^cpu_us_per_query=//p' "$3")")
}

turn_file="$(mktemp)"
scratch="$(mktemp -d)"
trap 'rm -rf "$turn_file" "$scratch"' EXIT
# Whose turn it is: the byte is rewritten in place, never truncated, as both sides map it.
turn() {
    printf '%s' "$1" 1<>"$turn_file"
}

# One round: the C loop and ours against connect string $2 with $3 workers, taking turns, the
# C loop first in odd pairs when $1 is odd, ours first otherwise.
run_pair() {
    turn -
    "$peer" --turns "$turn_file" "$2" "$3" >"$scratch/peer.out" &
    local peer_pid=$!
    "$ours" --turns "$turn_file" "$2" "$3" >"$scratch/ours.out" &
    local our_pid=$!
    # Connecting is not timed: a worker's counted time starts when it sees its turn.
    sleep 2
    turn S && sleep "$warmup" && turn C && sleep "$warmup"
    local pair first second
    for pair in $(seq 1 "$pairs"); do
        if ((($1 + pair) % 2 == 0)); then first=c second=s; else first=s second=c; fi
        turn "$first" && sleep "$turn_seconds" && turn "$second" && sleep "$turn_seconds"
    done
    turn x
    local failed=0
    wait "$peer_pid" || failed=1
    wait "$our_pid" || failed=1
    if ((failed)); then
        echo "bench-odbc: a side failed against $2 with $3 workers" >&2
        exit 1
    fi
    record peer_runs peer_cpus "$scratch/peer.out"
    record our_runs our_cpus "$scratch/ours.out"
}

# The pair's JSON line for case $1, from the runs recorded so far.
report() {
    local peer_value our_value
    peer_value="$(printf '%s\n' "${peer_runs[@]}" | median)"
    our_value="$(printf '%s\n' "${our_runs[@]}" | median)"
    # shellcheck disable=SC2059 # the format is ours
    printf "$line" "$1" "$our_value" "$peer_value" "$(round_ratios | median)" "$(round_ratios | paste -sd,)" \
        "$(printf '%s\n' "${our_cpus[@]}" | median)" "$(printf '%s\n' "${peer_cpus[@]}" | median)"
}

for workers in 1 8; do
    peer_runs=() our_runs=() peer_cpus=() our_cpus=()
    for round in $(seq 1 "$rounds"); do
        run_pair "$round" "$TETHER_PG_DSN" "$workers"
    done
    report "select1-$workers-worker"
done

: "${TETHER_SQLITE_DRIVER:?run under scripts/with-test-servers.sh}"
sqlite_dsn="Driver=$TETHER_SQLITE_DRIVER;Database=$scratch/bench.sqlite;"
peer_runs=() our_runs=() peer_cpus=() our_cpus=()
for round in $(seq 1 "$rounds"); do
    run_pair "$round" "$sqlite_dsn" 1
done
report "select1-sqlite-1-worker"
