#!/usr/bin/env bash
# `make bench-odbc`: prepared `SELECT 1` against the throwaway PostgreSQL, through a TetherPool
# of TetherODBC connections (ODBCBench, one `withConnection` per query) and through unixODBC
# from C (raw_odbc_peer, one connection per thread, no pool), at 1 and 8 workers.
# Each pair runs ROUNDS times (default 5), SECONDS each, the C loop first in odd rounds and ours
# first in even ones, so that a host whose speed drifts over the run favours neither side; the
# median of each side is reported as one JSON line per worker count. Run it under
# scripts/with-test-servers.sh.
# Both sides run each worker's loop WARMUP_SECONDS (default 1) before counting: with eight
# client threads and eight backends on two cores, the kernel takes about a second to settle
# each client thread on its backend's core (a fifth to a quarter of the wake-ups cross cores
# until then, none after), and the steady state is what a long-running service sees.
# Each side also prints its process's CPU time per counted query (user and system, every thread);
# the JSON line carries the median of each as ours_cpu_us and peer_cpu_us.
# Last, the same pair at one worker against SQLite (sqliteodbc, a file in a temporary
# directory): no network and no server, so what is left is the libraries' own cost per query.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-5}"
seconds="${SECONDS_PER_RUN:-3}"
warmup="${WARMUP_SECONDS:-1}"
: "${TETHER_PG_DSN:?run under scripts/with-test-servers.sh}"

peer="$root/.build/raw_odbc_peer"
cc -O2 -Wall -o "$peer" "$here/raw_odbc_peer.c" -lodbc -lpthread
swift build -c release --product ODBCBench --package-path "$root" >/dev/null
ours="$(swift build -c release --show-bin-path --package-path "$root")/ODBCBench"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Each round's ratio, ours over the C loop's run just before it, as a JSON array: how far the
# rounds spread when the host's speed drifts between them.
line='{"suite":"pool","case":"%s","unit":"qps","ours":%s,"peer":"raw-odbc","peer_value":%s,"ratio":%s'
line+=',"round_ratios":%s,"ours_cpu_us":%s,"peer_cpu_us":%s}\n'
round_ratios() {
    paste -d' ' <(printf '%s\n' "${our_runs[@]}") <(printf '%s\n' "${peer_runs[@]}") |
        awk '{ printf "%s%.2f", (NR > 1 ? "," : "["), $1 / $2 } END { printf "]" }'
}

# One side's run: its rate goes to the array named $1, its CPU time per query to the one named $2.
record() {
    local -n rates="$1" cpus="$2"
    local output
    output="$("${@:3}")"
    rates+=("$(sed -n 1p <<<"$output")")
    cpus+=("$(sed -n 's/^cpu_us_per_query=//p' <<<"$output")")
}

# One round: the C loop and ours against connect string $2 with $3 workers, in the round's order.
run_pair() {
    if (($1 % 2 == 1)); then
        record peer_runs peer_cpus "$peer" "$2" "$3" "$seconds" "$warmup"
        record our_runs our_cpus "$ours" --warmup "$warmup" "$2" "$3" "$seconds"
    else
        record our_runs our_cpus "$ours" --warmup "$warmup" "$2" "$3" "$seconds"
        record peer_runs peer_cpus "$peer" "$2" "$3" "$seconds" "$warmup"
    fi
}

# The pair's JSON line for case $1, from the runs recorded so far.
report() {
    local peer_value our_value ratio
    peer_value="$(printf '%s\n' "${peer_runs[@]}" | median)"
    our_value="$(printf '%s\n' "${our_runs[@]}" | median)"
    ratio="$(awk -v o="$our_value" -v p="$peer_value" 'BEGIN { printf "%.2f", o / p }')"
    # shellcheck disable=SC2059 # the format is ours
    printf "$line" "$1" "$our_value" "$peer_value" "$ratio" "$(round_ratios)" \
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
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
sqlite_dsn="Driver=$TETHER_SQLITE_DRIVER;Database=$scratch/bench.sqlite;"
peer_runs=() our_runs=() peer_cpus=() our_cpus=()
for round in $(seq 1 "$rounds"); do
    run_pair "$round" "$sqlite_dsn" 1
done
report "select1-sqlite-1-worker"
