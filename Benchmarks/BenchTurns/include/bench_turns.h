/*
 * Turns for `make bench-odbc`: the C loop and ours run at the same time, in two processes,
 * and take turns on the machine, so that both are measured under the same host conditions.
 *
 * A coordinator (Benchmarks/ODBCPeer/bench-odbc.sh) writes one byte at the start of a shared
 * file: a side's letter in upper case lets that side run without counting (warm-up), in lower
 * case lets it run and count, 'x' ends both; any other byte leaves both waiting. One watcher
 * thread per process polls the byte and wakes the waiting workers, so that a side waiting
 * for its turn costs the other side almost nothing.
 */
#ifndef BENCH_TURNS_H
#define BENCH_TURNS_H

struct bench_turns;

/* Maps `path` and starts the watcher for `side` (a lower-case letter); NULL with a message on
   standard error when the file cannot be mapped. */
struct bench_turns *bench_turns_open(const char *path, char side);

/* The byte the watcher saw last; cheap enough to read before every query. */
char bench_turns_seen(const struct bench_turns *turns);

/* Blocks until this side may run. Returns 1 for a counted turn, 0 for a warm-up turn, -1 when
   the run is over; `*turn` receives the byte, to compare with bench_turns_seen(). */
int bench_turns_wait(struct bench_turns *turns, char *turn);

/* Process CPU seconds (user and system) spent during this side's counted turns so far, as the
   watcher measured it at each turn's start and end; final once bench_turns_wait returned -1. */
double bench_turns_counted_cpu(struct bench_turns *turns);

#endif
