/*
 * The raw-ODBC peer of `make bench-odbc`: unixODBC and the driver used directly from C.
 * Each worker thread opens its own connection, prepares `SELECT 1` once, then executes,
 * fetches and reads the value in a loop until the time is up. No pool, no hops.
 *
 *   raw_odbc_peer CONNECT_STRING WORKERS SECONDS [WARMUP_SECONDS]
 *   raw_odbc_peer --turns FILE CONNECT_STRING WORKERS
 *
 * With WARMUP_SECONDS, each worker first runs the same loop that long without counting.
 * With --turns, the workers run in the turns for side 'c' that a coordinator writes to FILE
 * (see Benchmarks/BenchTurns/include/bench_turns.h) until it ends the run.
 * Prints two lines: the queries per second of all workers together (each worker's count over
 * its own counted loop time, summed, so connecting is not counted), then `cpu_us_per_query=X`,
 * the process's CPU time (user and system) while the workers counted, per counted query: from
 * the moment the first worker starts counting to the moment the last one stops, or, with
 * turns, summed over the counted turns.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sql.h>
#include <sqlext.h>

#include "bench_turns.h"

static SQLHENV environment;
static const char *connect_string;
static double seconds, warmup;
static volatile int failed;
/* Set with --turns: the workers run when the coordinator says. */
static struct bench_turns *turns;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(SQLSMALLINT type, SQLHANDLE handle, const char *step) {
    SQLCHAR state[6] = {0}, message[512] = {0};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    SQLGetDiagRec(type, handle, 1, state, &native, message, sizeof message, &length);
    fprintf(stderr, "raw_odbc_peer: %s failed [%s] %s\n", step, state, message);
    failed = 1;
}

/* The process's CPU time while the workers count (see the top of this file). */
static atomic_int counting, finished;
static double window_opened, window_closed;
static int worker_count;

static double process_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec
           + usage.ru_stime.tv_usec / 1e6;
}

struct tally {
    long count;
    double seconds;
};

/* Executes, fetches and reads `SELECT 1` once; 0 after reporting a failure. */
static int query(SQLHSTMT statement) {
    SQLBIGINT value = 0;
    SQLLEN indicator = 0;
    if (!SQL_SUCCEEDED(SQLExecute(statement)) || !SQL_SUCCEEDED(SQLFetch(statement))
        || !SQL_SUCCEEDED(SQLGetData(statement, 1, SQL_C_SBIGINT, &value, sizeof value, &indicator))
        || value != 1) {
        report(SQL_HANDLE_STMT, statement, "SELECT 1");
        return 0;
    }
    SQLFreeStmt(statement, SQL_CLOSE);
    return 1;
}

/* Runs the query until `end`; returns how many times. */
static long loop(SQLHSTMT statement, double end) {
    long count = 0;
    while (!failed && now() < end && query(statement)) {
        count++;
    }
    return count;
}

/* Runs the query in this side's turns until the run ends, counting in the counted ones. */
static void take_turns(SQLHSTMT statement, struct tally *tally) {
    char turn;
    int counted;
    while (!failed && (counted = bench_turns_wait(turns, &turn)) >= 0) {
        double begin = now();
        long count = 0;
        while (!failed && bench_turns_seen(turns) == turn && query(statement)) {
            count++;
        }
        if (counted) {
            tally->count += count;
            tally->seconds += now() - begin;
        }
    }
}

static void counted_loop(SQLHSTMT statement, struct tally *tally);

static void *worker(void *argument) {
    struct tally *tally = argument;
    SQLHDBC connection;
    SQLHSTMT statement;
    SQLAllocHandle(SQL_HANDLE_DBC, environment, &connection);
    SQLSetConnectAttr(connection, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)10, 0);
    if (!SQL_SUCCEEDED(SQLDriverConnect(connection, NULL, (SQLCHAR *)connect_string, SQL_NTS, NULL, 0, NULL,
                                        SQL_DRIVER_NOPROMPT))) {
        report(SQL_HANDLE_DBC, connection, "SQLDriverConnect");
        return NULL;
    }
    SQLAllocHandle(SQL_HANDLE_STMT, connection, &statement);
    if (!SQL_SUCCEEDED(SQLPrepare(statement, (SQLCHAR *)"SELECT 1", SQL_NTS))) {
        report(SQL_HANDLE_STMT, statement, "SQLPrepare");
        return NULL;
    }
    if (turns) {
        take_turns(statement, tally);
    } else {
        counted_loop(statement, tally);
    }
    SQLFreeHandle(SQL_HANDLE_STMT, statement);
    SQLDisconnect(connection);
    SQLFreeHandle(SQL_HANDLE_DBC, connection);
    return NULL;
}

/* The timed run: WARMUP_SECONDS not counted, then SECONDS counted. */
static void counted_loop(SQLHSTMT statement, struct tally *tally) {
    if (warmup > 0) {
        loop(statement, now() + warmup);
    }
    if (atomic_fetch_add(&counting, 1) == 0) {
        window_opened = process_cpu_seconds();
    }
    double begin = now();
    tally->count = loop(statement, begin + seconds);
    tally->seconds = now() - begin;
    if (atomic_fetch_add(&finished, 1) == worker_count - 1) {
        window_closed = process_cpu_seconds();
    }
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--turns") == 0) {
        if (!(turns = bench_turns_open(argv[2], 'c'))) {
            return 2;
        }
        argv += 2;
        argc = 4;
        seconds = 1;
    } else if (argc == 4 || argc == 5) {
        seconds = atof(argv[3]);
        warmup = argc == 5 ? atof(argv[4]) : 0;
    } else {
        fprintf(stderr, "usage: raw_odbc_peer CONNECT_STRING WORKERS SECONDS [WARMUP_SECONDS]\n"
                        "       raw_odbc_peer --turns FILE CONNECT_STRING WORKERS\n");
        return 2;
    }
    connect_string = argv[1];
    int workers = atoi(argv[2]);
    worker_count = workers;
    if (workers < 1 || workers > 256 || seconds <= 0 || warmup < 0) {
        fprintf(stderr, "raw_odbc_peer: WORKERS must be 1...256, SECONDS positive, WARMUP_SECONDS not negative\n");
        return 2;
    }
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &environment);
    SQLSetEnvAttr(environment, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    pthread_t threads[256];
    struct tally tallies[256] = {{0}};
    for (int i = 0; i < workers; i++) {
        pthread_create(&threads[i], NULL, worker, &tallies[i]);
    }
    double rate = 0;
    long queries = 0;
    for (int i = 0; i < workers; i++) {
        pthread_join(threads[i], NULL);
        rate += tallies[i].seconds > 0 ? tallies[i].count / tallies[i].seconds : 0;
        queries += tallies[i].count;
    }
    if (failed) {
        return 1;
    }
    printf("%.0f\n", rate);
    double cpu = turns ? bench_turns_counted_cpu(turns) : window_closed - window_opened;
    printf("cpu_us_per_query=%.2f\n", queries > 0 ? cpu / queries * 1e6 : 0.0);
    return 0;
}
